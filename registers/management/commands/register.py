"""python manage.py register <name> --format pdf|xlsx --as <username> -o FILE [filters]
python manage.py register destruction --batch <id> --format pdf|xlsx --as <username> -o FILE
python manage.py register circulation --circulation <id> --format pdf|xlsx --as <username> -o FILE

Registers: incoming 收文登记簿, outgoing 发文登记簿, ledger 涉密载体台账, loans 借阅登记簿,
copies 复制登记簿, destruction 涉密载体销毁清单 (one batch), circulation 传阅单 (one circulation). --from/--to filter the 收/发文日期,
except in the copy register (复制日期); --level there is the level of the copies made.

For monthly batch printing: the same file the web page produces, with the same visibility for
that user, and the same audit event (SPEC §11). Renders in this process, whatever the size.
"""
import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from documents.models import Direction
from personnel.models import Department
from registers import services
from registers.models import RegisterFormat
from registers.registry import REGISTERS
from secrecy.errors import DomainError
from secrecy.levels import Level


def _date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


# The registers of one object: what the option is for, and what is said when it is missing.
ONE_OBJECT_PARAMS = {
    "batch": ("销毁清单（destruction）", "销毁清单须指定批次：--batch <批次编号>"),
    "circulation": ("传阅单（circulation）", "传阅单须指定传阅编号：--circulation <传阅编号>"),
    "meeting": ("涉密会议保密管理记录（meeting）", "涉密会议保密管理记录须指定会议编号：--meeting <会议编号>"),
}


class Command(BaseCommand):
    help = "生成载体登记簿（PDF 或 XLSX），按指定用户的知悉范围筛选，并记入审计日志。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="登记簿：" + "，".join(
            f"{name}（{spec.title}）" for name, spec in REGISTERS.items()))
        parser.add_argument("--format", dest="file_format", default="pdf", help="pdf 或 xlsx（默认 pdf）")
        parser.add_argument("--as", dest="username", required=True, help="以哪个用户的身份和知悉范围打印")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")
        parser.add_argument("--level", type=int, help="密级：1 内部，2 秘密，3 机密，4 绝密")
        parser.add_argument("--department", help="管理部门代码（如 biz1）")
        parser.add_argument("--from", dest="date_from", help="收/发文日期起（YYYY-MM-DD；复制登记簿为复制日期）")
        parser.add_argument("--to", dest="date_to", help="收/发文日期止（YYYY-MM-DD；复制登记簿为复制日期）")
        parser.add_argument("--direction", help="方向：in（收文）、out（发文）、internal（自产）")
        parser.add_argument("--batch", type=int, help="销毁批次编号（destruction 销毁清单必填）")
        parser.add_argument("--circulation", type=int, help="传阅编号（circulation 传阅单必填）")
        parser.add_argument("--meeting", type=int, help="会议编号（meeting 涉密会议保密管理记录必填）")

    def handle(self, *args, name, file_format, username, output, level=None, department=None,
               date_from=None, date_to=None, direction=None, batch=None, circulation=None, meeting=None, **options):
        if name not in REGISTERS:
            raise CommandError(f"未知的登记簿：{name}（可选：{', '.join(REGISTERS)}）")
        file_format = (file_format or "").lower()
        if file_format not in RegisterFormat.values:
            raise CommandError(f"未知的格式：{file_format}（可选：pdf、xlsx）")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        if not user.is_active:
            raise CommandError(f"用户已停用：{username}")

        filters = {}
        if level is not None:
            if level not in Level.values:
                raise CommandError(f"未知的密级：{level}（1 内部，2 秘密，3 机密，4 绝密）")
            filters["level"] = str(level)
        if department:
            found = Department.objects.filter(code=department).first()
            if found is None:
                raise CommandError(f"部门代码不存在：{department}")
            filters["department"] = str(found.pk)
        if date_from:
            filters["date_from"] = _date(date_from).isoformat()
        if date_to:
            filters["date_to"] = _date(date_to).isoformat()
        if direction:
            if direction not in Direction.values:
                raise CommandError(f"未知的方向：{direction}（可选：in、out、internal）")
            filters["direction"] = direction
        params = REGISTERS[name].params
        for param, value in (("batch", batch), ("circulation", circulation), ("meeting", meeting)):
            used_for, missing = ONE_OBJECT_PARAMS[param]
            if value is not None:
                if param not in params:
                    raise CommandError(f"--{param} 只用于{used_for}，不用于 {name}")
                filters[param] = str(value)
            elif param in params:
                raise CommandError(missing)

        try:
            filename, content, _ = services.register_produce(
                user=user, name=name, fmt=file_format, filters=filters)
        except DomainError as error:
            details = "；".join(
                str(m) for messages in error.field_errors.values()
                for m in (messages if isinstance(messages, (list, tuple)) else [messages]))
            raise CommandError(f"{error.message}{'：' + details if details else ''}") from None
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        self.stdout.write(f"已生成 {REGISTERS[name].title}（{file_format.upper()}，{len(content)} 字节）→ {target}")
