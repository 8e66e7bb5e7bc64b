"""保密办's records of a 涉密人员 (SPEC §8): 保密审查, 保密教育培训, 出入境证件.

Each is one audited service; the latest passed review is what makes the clearance active
(Person.clearance), so recording a failed review takes sight of classified carriers away on the
person's next request.
"""
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.services import record_event
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from . import events
from .models import (
    Person, PersonReview, ReviewKind, Training, TravelDocument, TravelDocumentKind, TravelDocumentStatus,
)
from .policy import may_manage_personnel


def check_manager(actor, person=None, *, what="办理涉密人员事项"):
    if not may_manage_personnel(actor):
        raise PolicyDenied(f"只有保密办可以{what}")
    if person is not None and person.user_id == actor.pk:
        raise PolicyDenied("不能为本人办理，请由其他保密办人员办理")


def lock_person(person):
    return Person.objects.select_for_update().select_related("user", "department").get(pk=person.pk)


def _text(value):
    return (value or "").strip()


def _date_not_future(value, field, label, today):
    if value is None:
        raise ValidationFailed({field: f"请填写{label}"})
    if value > today:
        raise ValidationFailed({field: f"{label}不能晚于今天"})
    return value


@transaction.atomic
def person_review_record(*, actor, person, reviewed_on, passed, kind=ReviewKind.PERIODIC, reviewer="", note="",
                         today=None):
    """Record a 保密审查 (REG24 art. 50). The newest review decides review_passed/review_date, so a
    failed re-review ends the clearance at once and a passed one restores it."""
    today = today or timezone.localdate()
    check_manager(actor, person, what="登记保密审查")
    person = lock_person(person)
    _date_not_future(reviewed_on, "reviewed_on", "审查日期", today)
    if kind not in ReviewKind.values:
        raise ValidationFailed({"kind": "请选择审查类型"})
    if not passed and not _text(note):
        raise ValidationFailed({"note": "审查未通过时请写明审查意见"})
    review = PersonReview.objects.create(
        person=person, kind=kind, reviewed_on=reviewed_on, passed=bool(passed), reviewer=_text(reviewer),
        note=_text(note), recorded_by=actor)
    changed = False
    if person.review_date is None or reviewed_on >= person.review_date:
        person.review_passed, person.review_date = bool(passed), reviewed_on
        person.save(update_fields=["review_passed", "review_date"])
        changed = True
    record_event(actor=actor, event=events.REVIEW_RECORD, target=person,
                 detail={"review": review.pk, "kind": kind, "reviewed_on": reviewed_on.isoformat(),
                         "passed": bool(passed), "current": changed})
    return review


def _hours(value):
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed({"hours": "学时应为数字，如 2 或 1.5"}) from None
    if hours <= 0 or hours > 100:
        raise ValidationFailed({"hours": "学时应大于 0 且不超过 100"})
    if hours != hours.quantize(Decimal("0.1")):
        raise ValidationFailed({"hours": "学时最多保留一位小数"})
    return hours


@transaction.atomic
def training_record(*, actor, person, trained_on, hours, topic, organiser, today=None):
    """Record a 保密教育培训 attended (LAW24 art. 44; yearly hours are checked by a job)."""
    today = today or timezone.localdate()
    check_manager(actor, person, what="登记保密教育培训")
    person = lock_person(person)
    _date_not_future(trained_on, "trained_on", "培训日期", today)
    hours = _hours(hours)
    errors = {}
    if not _text(topic):
        errors["topic"] = "请填写培训内容"
    if not _text(organiser):
        errors["organiser"] = "请填写组织单位"
    if errors:
        raise ValidationFailed(errors)
    training = Training.objects.create(person=person, trained_on=trained_on, hours=hours, topic=_text(topic),
                                       organiser=_text(organiser), recorded_by=actor)
    record_event(actor=actor, event=events.TRAINING_RECORD, target=person,
                 detail={"training": training.pk, "trained_on": trained_on.isoformat(), "hours": str(hours),
                         "topic": training.topic})
    return training


def training_hours_in_year(person, year):
    total = sum((t.hours for t in person.trainings.filter(trained_on__year=year)), Decimal("0"))
    return total


@transaction.atomic
def travel_document_register(*, actor, person, kind, number, handed_in_on, valid_until=None, note="", today=None):
    """A 出入境证件 handed in for safekeeping (集中登记保管, regulations §6)."""
    today = today or timezone.localdate()
    check_manager(actor, person, what="登记出入境证件")
    person = lock_person(person)
    errors = {}
    if kind not in TravelDocumentKind.values:
        errors["kind"] = "请选择证件类型"
    number = _text(number).upper()
    if not number:
        errors["number"] = "请填写证件号码"
    elif TravelDocument.objects.filter(kind=kind, number=number).exists():
        errors["number"] = "该证件已登记"
    if handed_in_on is None:
        errors["handed_in_on"] = "请填写交存日期"
    elif handed_in_on > today:
        errors["handed_in_on"] = "交存日期不能晚于今天"
    if valid_until is not None and handed_in_on is not None and valid_until < handed_in_on:
        errors["valid_until"] = "有效期不能早于交存日期"
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            document = TravelDocument.objects.create(
                person=person, kind=kind, number=number, handed_in_on=handed_in_on, valid_until=valid_until,
                note=_text(note), recorded_by=actor)
    except IntegrityError:
        raise ValidationFailed({"number": "该证件已登记"}) from None
    record_event(actor=actor, event=events.TRAVEL_DOCUMENT_REGISTER, target=person,
                 detail={"document": document.pk, "kind": kind})
    return document


def _lock_document(document):
    return TravelDocument.objects.select_for_update().select_related("person").get(pk=document.pk)


@transaction.atomic
def travel_document_hand_back(*, actor, document, note=""):
    """The person hands the 证件 back after a trip (本人领用 → 单位保管)."""
    check_manager(actor, what="办理出入境证件")
    document = _lock_document(document)
    if document.status != TravelDocumentStatus.ISSUED:
        raise InvalidState(f"证件当前为“{document.get_status_display()}”，无需交回")
    document.status = TravelDocumentStatus.HELD
    document.save(update_fields=["status"])
    record_event(actor=actor, event=events.TRAVEL_DOCUMENT_HAND_BACK, target=document.person,
                 detail={"document": document.pk, "note": _text(note)})
    return document


@transaction.atomic
def travel_document_cancel(*, actor, document, note):
    """注销 (expired, replaced): the row stays; it is no longer held."""
    check_manager(actor, what="办理出入境证件")
    document = _lock_document(document)
    if document.status == TravelDocumentStatus.CANCELLED:
        raise InvalidState("证件已注销")
    if document.status == TravelDocumentStatus.ISSUED:
        raise InvalidState("证件由本人领用中，须先交回再注销")
    if not _text(note):
        raise ValidationFailed({"note": "请写明注销原因"})
    document.status = TravelDocumentStatus.CANCELLED
    document.note = (f"{document.note}；" if document.note else "") + f"注销：{_text(note)}"
    document.save(update_fields=["status", "note"])
    record_event(actor=actor, event=events.TRAVEL_DOCUMENT_CANCEL, target=document.person,
                 detail={"document": document.pk, "note": _text(note)})
    return document


def add_years(day, years):
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)

