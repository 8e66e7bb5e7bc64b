"""python manage.py run_job <name>: run one periodic job once, now (the same code beat runs)."""
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from notifications.jobs import UnknownJob, get_job, registered_jobs, run_job


class Command(BaseCommand):
    help = "运行一次定时任务（与 Celery beat 调用的是同一段代码）；--list 列出全部任务。"

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="任务名称，如 overdue_reminders")
        parser.add_argument("--list", action="store_true", help="列出已登记的任务")
        parser.add_argument("--today", type=dt.date.fromisoformat,
                            help="按指定日期运行（YYYY-MM-DD），用于补跑或演练；默认今天")
        parser.add_argument("--batch-size", type=int, help="每批扫描的行数（默认 SECRECY_JOB_BATCH_SIZE）")

    def handle(self, *args, **options):
        name, today, batch_size = options["name"], options["today"], options["batch_size"]
        if options["list"] or not name:
            for found in registered_jobs():
                self.stdout.write(f"{found.name}\t{found.description}")
            if not name and not options["list"]:
                raise CommandError("请给出任务名称（见上面的列表）")
            return
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            get_job(name)
        except UnknownJob:
            names = ", ".join(j.name for j in registered_jobs())
            raise CommandError(f"没有名为 {name!r} 的任务；已登记：{names}") from None
        result = run_job(name, today=today, batch_size=batch_size)
        self.stdout.write(json.dumps({"job": name, **result}, ensure_ascii=False, default=str))
