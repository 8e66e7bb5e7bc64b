"""python manage.py verify_audit: walk the audit hash chain and name the first broken row."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audits.models import AuditResult
from audits.services import record_event
from audits.verify import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链：完整时输出事件数和链头哈希，被篡改时指出第一条有问题的事件（退出码 1）。"

    def add_arguments(self, parser):
        parser.add_argument("--expect-head", dest="expect_head",
                            help="日报中记录的链头哈希：日志中必须仍有这条事件（发现截断或整体重写）")
        parser.add_argument("--batch", type=int, default=5000, help="每批读取的事件数（默认 5000）")

    def handle(self, *args, expect_head=None, batch=5000, **options):
        report = verify_chain(batch_size=batch, expect_head=(expect_head or "").strip().lower() or None)
        # The check itself is on record, after the walk so it never checks its own event.
        with transaction.atomic():
            record_event(actor=None, action="audit.verify", target_repr="审计日志哈希链",
                         result=AuditResult.OK if report.ok else AuditResult.FAILED,
                         detail={"ok": report.ok, "count": report.count, "head_seq": report.head_seq,
                                 "head_hash": report.head_hash, "first_bad_seq": report.first_bad_seq,
                                 "reason": report.reason, "expect_head": expect_head or ""})
        if not report.ok:
            raise CommandError(report.message)
        self.stdout.write(report.message)
