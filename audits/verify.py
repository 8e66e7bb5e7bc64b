"""Walking the audit hash chain (SPEC §10; issue 6): each event stores the hash of the one before
it and its own hash over its content (audits.services.payload_of), so an edit, a deletion, a
reordering or a re-hash in the middle breaks a link that this walk finds and names.

What the walk cannot see by itself is a chain cut off at the end (the last rows deleted together
with a rewound head, or a TRUNCATE): that is caught by comparing with the head hash printed in an
earlier daily summary (`expect_head`), which lives outside the database.
"""
import dataclasses

from .models import AuditEvent, AuditHead
from .services import HASHED_FIELDS, event_hash_of

GENESIS_HASH = "0" * 64


@dataclasses.dataclass
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""

    @property
    def message(self):
        if self.ok:
            return f"审计日志完整：共 {self.count} 条事件，链头第 {self.head_seq} 号，链头哈希 {self.head_hash}"
        return f"审计日志被篡改：第 {self.first_bad_seq} 号事件——{self.reason}"


class ChainChecker:
    """Feed events in seq order (values() rows with HASHED_FIELDS, prev_hash and hash); the first
    broken link is kept and everything after it is ignored."""

    def __init__(self):
        self.expected_seq = 1
        self.last_hash = GENESIS_HASH
        self.count = 0
        self.first_bad_seq = None
        self.reason = ""

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
            if event_hash_of(row["prev_hash"], row) != row["hash"]:
                return self._fail(seq, "事件内容与其哈希不符：该事件被修改")
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
                           first_bad_seq=self.first_bad_seq, reason=self.reason)


ROW_FIELDS = HASHED_FIELDS + ("prev_hash", "hash")


def verify_chain(*, batch_size=5000, expect_head=None):
    """Walk the whole log in seq order, in keyset batches (memory stays bounded at millions of
    rows), stopping at the first broken link."""
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
    return checker.finish(head_seq=head["last_seq"], head_hash=head["last_hash"], expect_head=expect_head,
                          expect_head_seen=seen_expected)
