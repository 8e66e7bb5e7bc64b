"""Producing a register's file: who may print it, building it, rendering it, and its audit
event (SPEC §10: prints and exports are audited actions). Shared by the request (services) and the
worker (services_render)."""
import dataclasses
import zoneinfo

from django.utils import timezone

from audits.services import record_event
from documents.filters import normalize_filters
from documents.policy import may_print_registers
from personnel.names import person_name
from secrecy.errors import PolicyDenied, ValidationFailed

from . import events
from .models import RegisterFormat
from .pdf import render_pdf
from .registry import REGISTERS, get_spec, title_of
from .xlsx import render_xlsx

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

CONTENT_TYPES = {
    RegisterFormat.PDF: "application/pdf",
    RegisterFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# SPEC §10: prints and exports are audited actions.
AUDIT_EVENTS = {RegisterFormat.PDF: events.PRINT, RegisterFormat.XLSX: events.EXPORT}
INVENTORY_AUDIT_EVENTS = {RegisterFormat.PDF: events.INVENTORY_PRINT, RegisterFormat.XLSX: events.INVENTORY_EXPORT}


def audit_event(name, file_format):
    """The event of printing (PDF) or exporting (XLSX) the named register; a 清查 one has its own."""
    spec = REGISTERS.get(name)
    events_of = INVENTORY_AUDIT_EVENTS if spec is not None and spec.inventory else AUDIT_EVENTS
    return events_of[RegisterFormat(file_format)]


def check_may_print(user, spec=None):
    if spec is not None and spec.may_print is not None:
        if not spec.may_print(user):
            raise PolicyDenied(spec.refusal or f"该账号不能打印{spec.title}")
        return
    if not may_print_registers(user):
        raise PolicyDenied("该账号不能打印载体登记簿")


def check_format(file_format):
    if file_format not in RegisterFormat.values:
        raise ValidationFailed({"format": "请选择 PDF 或 XLSX 格式"})
    return RegisterFormat(file_format)


def render(register, *, fmt, printed_by, printed_at, progress=None):
    """The register's file in the format asked for ("pdf" or "xlsx"), with nothing recorded."""
    renderer = render_pdf if fmt == RegisterFormat.PDF else render_xlsx
    return renderer(register, printed_by, printed_at, progress=progress)


def with_signoff(register, spec):
    """The register with its declared sign-off lines (spec.signoff, issue 14 §5) when it records
    no signatures of its own: role, and a name and date left blank to be signed by hand."""
    if register.signatures or not spec.signoff:
        return register
    return dataclasses.replace(register, signatures=[(role, "", "") for role in spec.signoff],
                               signature_time_label="日期")


@dataclasses.dataclass
class Produced:
    filename: str
    content: bytes
    content_type: str
    rows: int
    level: int | None
    filters: dict


def file_name(spec, file_format, at):
    return f"{spec.title}_{timezone.localtime(at, SHANGHAI):%Y%m%d-%H%M}.{file_format}"


def render_file(*, user, name, file_format, filters, progress=None):
    """Build and render, without side effects. Rendering happens outside any transaction: on
    SQLite an open write transaction would block every other writer for the whole render."""
    spec = get_spec(name)
    check_may_print(user, spec)
    file_format = check_format(file_format)
    filters = normalize_filters(filters, spec.params)
    now = timezone.now()

    def build_progress(fraction):
        if progress:
            progress(0.2 * fraction)

    def render_progress(fraction):
        if progress:
            progress(0.2 + 0.8 * fraction)

    register = with_signoff(spec.build(user=user, filters=filters, progress=build_progress if progress else None),
                            spec)
    content = render(register, fmt=file_format, printed_by=person_name(user), printed_at=now,
                     progress=render_progress if progress else None)
    return Produced(
        filename=file_name(spec, file_format, now), content=content, content_type=CONTENT_TYPES[file_format],
        rows=len(register.rows), level=register.highest_level, filters=filters,
    )


def record_produced(*, user, name, file_format, produced, job=None):
    detail = {"register": name, "format": str(file_format), "filters": produced.filters, "rows": produced.rows}
    if job is not None:
        detail["job"] = job.pk
    return record_event(
        actor=user, event=audit_event(name, file_format), level=produced.level,
        target=job, target_repr=title_of(name) if job is None else None, detail=detail,
    )
