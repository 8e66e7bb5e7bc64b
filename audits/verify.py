"""Walking the audit hash chain (SPEC §10; issue 6): each event stores the hash of the one before
it and its own hash over its content (audits.chain.payload_of), so an edit, a deletion, a
reordering or a re-hash in the middle breaks a link that this walk finds and names.

What the walk cannot see by itself is a chain cut off at the end (the last rows deleted together
with a rewound head, or a TRUNCATE): that is caught by comparing with the head hash printed in an
earlier daily summary (`expect_head`), which lives outside the database.

Issue 11 §4: events are keyed (audits.chain). Each row's `alg` says how its hash is checked: the
legacy "sha256" rows of a chain written before the upgrade are checked as before, every keyed
row with the audit key. Keyed rows may follow legacy ones only behind the audit.chain_keyed
marker, and no legacy row may follow a keyed one (relabelling rows as "sha256" and recomputing
plain hashes — the old attack — is a downgrade and is refused). A rewrite by someone who also
holds the key is caught by the daily heads kept outside the database (`heads`, verify_audit
--heads).
"""
import dataclasses

from . import chain
from .events import CHAIN_KEYED
from .models import AuditEvent, AuditHead
from .chain import HASHED_FIELDS, event_hash_of

GENESIS_HASH = "0" * 64


@dataclasses.dataclass
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""
    # Where keying starts (the first keyed event; None: no keyed event) and its algorithm.
    keyed_from: int | None = None
    alg: str = ""
    heads_checked: int = 0

    @property
    def keying_note(self):
        if self.keyed_from is None:
            return "全部为未加密钥的旧事件" if self.count else ""
        if self.keyed_from == 1:
            return f"全部以 {chain.ALG_LABELS.get(self.alg, self.alg)} 加密钥"
        return (f"第 1–{self.keyed_from - 1} 号为未加密钥的旧事件，自第 {self.keyed_from} 号起以 "
                f"{chain.ALG_LABELS.get(self.alg, self.alg)} 加密钥")

    @property
    def message(self):
        if self.ok:
            note = f"（{self.keying_note}）" if self.keying_note else ""
            heads = f"；与链头记录文件中的 {self.heads_checked} 个日终链头一致" if self.heads_checked else ""
            return (f"审计日志完整：共 {self.count} 条事件{note}，链头第 {self.head_seq} 号，"
                    f"链头哈希 {self.head_hash}{heads}")
        return f"审计日志被篡改：第 {self.first_bad_seq} 号事件——{self.reason}"


class ChainChecker:
    """Feed events in seq order (values() rows with HASHED_FIELDS, prev_hash and hash); the first
    broken link is kept and everything after it is ignored."""

    def __init__(self, key=None):
        self.expected_seq = 1
        self.last_hash = GENESIS_HASH
        self.count = 0
        self.first_bad_seq = None
        self.reason = ""
        # The audit key, read on the first keyed row (a legacy-only chain needs none).
        self.key = key
        self.keyed_from = None
        self.alg = ""

    @property
    def broken(self):
        return self.first_bad_seq is not None

    def _fail(self, seq, reason):
        self.first_bad_seq, self.reason = seq, reason
        return False

    def feed(self, rows):
        """Check a batch; False as soon as a link is broken."""
        if self.broken:
            return False
        for row in rows:
            seq = row["seq"]
            if seq > self.expected_seq:
                return self._fail(self.expected_seq,
                                  f"该事件缺失（被删除）：第 {self.expected_seq - 1} 号之后紧接着是第 {seq} 号")
            if seq < self.expected_seq:
                return self._fail(seq, f"序号重复或顺序被调换（应为第 {self.expected_seq} 号）")
            if row["prev_hash"] != self.last_hash:
                return self._fail(seq, "记录的前一事件哈希与实际不符：前一事件被改写后重新计算了哈希，或事件被调换、插入")
            alg = row.get("alg") or chain.LEGACY_ALG
            if alg == chain.LEGACY_ALG:
                if self.keyed_from is not None:
                    return self._fail(seq, f"第 {self.keyed_from} 号起审计链已加密钥，此后却出现未加密钥的旧式事件："
                                           "事件被改写后按旧算法重新计算了哈希（降级攻击）")
            elif alg in chain.KEYED_ALGS:
                if self.keyed_from is None:
                    if seq != 1 and row["action"] != CHAIN_KEYED.action:
                        return self._fail(seq, "未加密钥的旧事件之后出现加密钥事件，但没有加密钥标记（audit.chain_keyed）")
                    self.keyed_from = seq
                elif row["action"] == CHAIN_KEYED.action:
                    return self._fail(seq, f"审计链已于第 {self.keyed_from} 号起加密钥，却再次出现加密钥标记")
                self.alg = alg
                if self.key is None:
                    self.key = chain.audit_key()
            else:
                return self._fail(seq, f"未知的哈希算法“{alg[:20]}”")
            if event_hash_of(row["prev_hash"], row, self.key) != row["hash"]:
                reason = "事件内容与其哈希不符：该事件被修改"
                if alg != chain.LEGACY_ALG:
                    reason += "（或校验所用的审计密钥不是写入时的密钥）"
                return self._fail(seq, reason)
            self.last_hash = row["hash"]
            self.expected_seq += 1
            self.count += 1
        return True

    def finish(self, *, head_seq, head_hash, expect_head=None, expect_head_seen=False):
        last_seq = self.expected_seq - 1
        if not self.broken:
            if head_seq != last_seq:
                if head_seq > last_seq:
                    self._fail(last_seq + 1, f"链尾被截断：链头记录到第 {head_seq} 号，日志只到第 {last_seq} 号")
                else:
                    self._fail(head_seq + 1, f"链头记录到第 {head_seq} 号，但日志中有第 {last_seq} 号：事件绕过链头被追加")
            elif head_hash != self.last_hash:
                self._fail(last_seq, "链头哈希与最后一条事件的哈希不符")
            elif expect_head and not expect_head_seen:
                self._fail(last_seq + 1, "未找到日报中记录的链头哈希：日志被截断或整体重写")
        return ChainReport(ok=not self.broken, count=self.count, head_seq=last_seq, head_hash=self.last_hash,
                           first_bad_seq=self.first_bad_seq, reason=self.reason, keyed_from=self.keyed_from,
                           alg=self.alg)


ROW_FIELDS = HASHED_FIELDS + ("alg", "prev_hash", "hash")
HEADS_BATCH = 500


def check_heads(report, heads):
    """Compare the recorded daily heads (audits.chain.read_heads) with the verified chain: each
    recorded event must still be there with the same hash and algorithm. A walk that passed
    proves the chain is consistent *with the key*; a mismatch here proves it was rewritten after
    the head was recorded, even by someone who holds the key. The first (lowest) bad seq wins."""
    if not report.ok:
        return report
    problems = []
    for offset in range(0, len(heads), HEADS_BATCH):
        batch = heads[offset:offset + HEADS_BATCH]
        stored = {r["seq"]: r for r in AuditEvent.objects.filter(
            seq__in={seq for _, _, seq, _, _ in batch}).values("seq", "hash", "alg")}
        for number, day, seq, head_hash, alg in batch:
            row = stored.get(seq)
            if row is None:
                problems.append((seq, f"{day.isoformat()} 的日终链头（链头记录文件第 {number} 行）为第 {seq} 号事件，"
                                      "日志中已没有该事件：日志被截断或整体重写"))
            elif row["hash"] != head_hash or row["alg"] != alg:
                problems.append((seq, f"{day.isoformat()} 的日终链头（链头记录文件第 {number} 行）记录的第 {seq} 号事件"
                                      f"哈希与日志中该事件的哈希不符：该日之后日志被改写（即使持有密钥也无法掩盖）"))
    if problems:
        seq, reason = min(problems)
        report.ok, report.first_bad_seq, report.reason = False, seq, reason
    else:
        report.heads_checked = len(heads)
    return report


def verify_chain(*, batch_size=5000, expect_head=None, heads=None):
    """Walk the whole log in seq order, in keyset batches (memory stays bounded at millions of
    rows), stopping at the first broken link; then compare the recorded daily heads, if given."""
    checker = ChainChecker()
    head = AuditHead.objects.filter(pk=1).values("last_seq", "last_hash").first() or \
        {"last_seq": 0, "last_hash": GENESIS_HASH}
    seen_expected = False
    after = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq").values(*ROW_FIELDS)[:batch_size])
        if not rows:
            break
        if expect_head and not seen_expected:
            seen_expected = any(r["hash"] == expect_head for r in rows)
        if not checker.feed(rows):
            break
        after = rows[-1]["seq"]
    report = checker.finish(head_seq=head["last_seq"], head_hash=head["last_hash"], expect_head=expect_head,
                            expect_head_seen=seen_expected)
    return check_heads(report, heads) if heads else report
