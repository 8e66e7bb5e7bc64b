"""python manage.py verify_audit: walk the audit hash chain and name the first broken row.

--heads FILE also compares every daily head recorded outside the database (the heads file the
daily summary job appends to, settings.SECRECY_AUDIT_HEADS_FILE) with the chain: this catches a
chain rewritten by someone who holds the audit key too (issue 11 §4)."""
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audits import events
from audits.chain import HeadsFileError, read_heads
from audits.models import AuditResult
from audits.services import AuditKeyMismatch, record_event
from audits.verify import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链：完整时输出事件数和链头哈希，被篡改时指出第一条有问题的事件（退出码 1）。"

    def add_arguments(self, parser):
        parser.add_argument("--expect-head", dest="expect_head",
                            help="日报中记录的链头哈希：日志中必须仍有这条事件（发现截断或整体重写）")
        parser.add_argument("--heads", dest="heads",
                            help="链头记录文件（如 var/audit-heads.log）：逐一核对其中记录的每日链头与日志一致")
        parser.add_argument("--batch", type=int, default=5000, help="每批读取的事件数（默认 5000）")

    def handle(self, *args, expect_head=None, heads=None, batch=5000, **options):
        try:
            recorded_heads = read_heads(heads) if heads else None
        except HeadsFileError as error:
            raise CommandError(str(error)) from None
        try:
            report = verify_chain(batch_size=batch, expect_head=(expect_head or "").strip().lower() or None,
                                  heads=recorded_heads)
            # The check itself is on record, after the walk so it never checks its own event —
            # unless this key is not the chain's: then nothing may be written (AuditKeyMismatch).
            unrecorded = ""
            try:
                with transaction.atomic():
                    record_event(actor=None, event=events.VERIFY, target_repr="审计日志哈希链",
                                 result=AuditResult.OK if report.ok else AuditResult.FAILED,
                                 detail={"ok": report.ok, "count": report.count, "head_seq": report.head_seq,
                                         "head_hash": report.head_hash, "first_bad_seq": report.first_bad_seq,
                                         "reason": report.reason, "expect_head": expect_head or "",
                                         "heads_file": str(heads or ""), "heads_checked": report.heads_checked,
                                         "keyed_from": report.keyed_from, "alg": report.alg})
            except AuditKeyMismatch:
                unrecorded = "（本次核验使用的密钥不是审计链的密钥，核验结果未写入审计日志）"
        except ImproperlyConfigured as error:
            # The key file is missing or unreadable: say so, without a traceback.
            raise CommandError(f"无法校验审计日志：{error}") from None
        if not report.ok:
            raise CommandError(report.message + unrecorded)
        self.stdout.write(report.message)
