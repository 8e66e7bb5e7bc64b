"""传阅单 (SPEC §6, §11): one circulation, the carrier at the top and one row per reader."""
from personnel.names import person_name
from secrecy.errors import ValidationFailed
from secrecy.printing import Column, Register

from ..filters import normalize_filters
from .cells import date_text, moment_text, unit_name

CIRCULATION_TITLE = "传阅单"

# SPEC §6, §11 传阅单: one circulation (parameter ``circulation``), the carrier at the top and one
# row per reader with the 阅签 time and comment. Printable by whoever may open the circulation
# (its managing registrar, its readers), and only while they may see the carrier.


def _circulation_for_print(*, user, filters):
    from ..selectors_circulation import circulation_get_for_user

    circulation_id = (filters or {}).get("circulation")
    if not circulation_id:
        raise ValidationFailed({"circulation": "请指定传阅（--circulation 传阅编号）"})
    return circulation_get_for_user(user=user, pk=circulation_id)


def circulation_count(*, user, filters, cap=None):
    return _circulation_for_print(user=user, filters=filters).steps.count()


CIRCULATION_COLUMNS = [
    ("序号", 8, lambda s: str(s.order)),
    ("阅读人", 22, lambda s: person_name(s.reader)),
    ("部门", 22, lambda s: s.reader.person.department.name if getattr(s.reader, "person", None) else ""),
    ("送达时间", 20, lambda s: moment_text(s.handed_at)),
    ("期限", 14, lambda s: date_text(s.deadline)),
    ("阅签时间", 20, lambda s: moment_text(s.signed_at)),
    ("阅签意见", 50, lambda s: s.comment or ("（无意见）" if s.signed_at else "")),
    ("交回时间", 20, lambda s: moment_text(s.returned_at)),
]


def circulation(*, user, filters=None, progress=None):
    from ..selectors_circulation import circulation_steps

    filters = normalize_filters(filters, ("circulation",))
    record = _circulation_for_print(user=user, filters=filters)
    carrier = record.carrier
    steps = circulation_steps(record)
    header = [
        f"统一编号：{carrier.serial}　密级和保密期限：{carrier.mark}"
        f"　份号：{carrier.copy_number_display or '—'}",
        f"文件标题：{carrier.title}" + (f"　文号：{carrier.doc_number}" if carrier.doc_number else ""),
        f"{record.reference}（{record.get_state_display()}）　发起人：{person_name(record.started_by)}"
        f"　发起时间：{moment_text(record.created_at)}" + (f"　说明：{record.note}" if record.note else ""),
    ]
    if record.cancel_reason:
        header.append(f"撤销：{moment_text(record.cancelled_at)}，原因：{record.cancel_reason}")
    return Register(
        name="circulation", title=CIRCULATION_TITLE,
        columns=[Column(header_, width) for header_, width, _ in CIRCULATION_COLUMNS],
        rows=[[cell(step) for _, _, cell in CIRCULATION_COLUMNS] for step in steps],
        # Every row is about the same carrier: each page carries its level.
        levels=[int(carrier.level)] * len(steps), filters_description=record.reference,
        unit_name=unit_name(),
        header_lines=header,
        summary_lines=["传阅载体须由机要室逐一送达、阅毕交回，不得横传。"],
        signatures=[("机要秘书", person_name(record.started_by), moment_text(record.created_at))],
    )
