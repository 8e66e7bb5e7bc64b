"""Forms of the meeting screens. They parse input only; every rule is the services' (a refusal
comes back as a DomainError whose field errors the view puts next to the fields)."""
from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import ModelChoiceIteratorValue

from personnel.models import ADMIN_ROLES, Department, PersonClass
from personnel.names import person_name
from personnel.widgets import PersonPicker
from secrecy.forms import SafeForm
from secrecy.levels import Level

from . import policy
from .models import Attendee, AttendeeRole, Disposition, Meeting
from .selectors import attendee_candidates

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def _datetime_field(label):
    return forms.DateTimeField(label=label, widget=DateTimeLocalInput(),
                               input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])


def _label(field):
    return str(Meeting._meta.get_field(field).verbose_name)


class MeetingForm(SafeForm):
    name = forms.CharField(label=_label("name"), max_length=200)
    level = forms.TypedChoiceField(label=_label("level"), coerce=int, choices=())
    starts_at = _datetime_field(_label("starts_at"))
    ends_at = _datetime_field(_label("ends_at"))
    venue = forms.CharField(label=_label("venue"), max_length=200)
    department = forms.ModelChoiceField(label=_label("department"), queryset=Department.objects.order_by("id"),
                                        empty_label="请选择")
    content = forms.CharField(label=_label("content"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    broadcast_scope = forms.CharField(
        label=_label("broadcast_scope"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="会议内容是否传达、传达到什么范围（不传达的留空）。")
    phones_banned = forms.BooleanField(label=_label("phones_banned"), required=False)
    signal_shielding = forms.BooleanField(label=_label("signal_shielding"), required=False)
    venue_checked = forms.BooleanField(label=_label("venue_checked"), required=False)
    discipline_announced = forms.BooleanField(label=_label("discipline_announced"), required=False)
    recording_approved = forms.BooleanField(label=_label("recording_approved"), required=False)
    recording_note = forms.CharField(label=_label("recording_note"), required=False, max_length=300,
                                     help_text="勾选“录音录像经批准”时必填：批准人和负责人。")

    PARTICULARS = ("name", "level", "starts_at", "ends_at", "venue", "department", "content", "broadcast_scope")
    CHECKLIST = ("phones_banned", "signal_shielding", "venue_checked", "discipline_announced",
                 "recording_approved", "recording_note")

    def __init__(self, *args, user, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        levels = policy.creatable_levels(user) if meeting is None else [
            level for level in (Level.CONFIDENTIAL, Level.SECRET, Level.TOP_SECRET)
            if policy.manages(user, Meeting(level=level, organiser_id=meeting.organiser_id))]
        self.fields["level"].choices = [("", "请选择")] + [(int(level), level.label) for level in levels]

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        # Shown together with the other input errors; the service checks it again.
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "结束时间须晚于开始时间")
        return cleaned

    def particulars(self):
        return [self[name] for name in self.PARTICULARS]

    def checklist(self):
        return [self[name] for name in self.CHECKLIST]


def _person_label(user):
    """Name, department and class: people are named by name, never by login (issue 14 §5)."""
    person = getattr(user, "person", None)
    if person is None:
        return person_name(user)
    parts = [person_name(user)]
    if person.department_id:
        parts.append(person.department.name)
    if person.person_class:
        parts.append(PersonClass(person.person_class).label)
    return " · ".join(parts)


class AttendeeForm(SafeForm):
    user = forms.ModelChoiceField(label="人员", queryset=get_user_model().objects.none(), empty_label="请选择")
    role = forms.ChoiceField(label="身份", choices=AttendeeRole.choices, initial=AttendeeRole.PARTICIPANT)

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        # Any active business account validates, so the service can say why someone may not attend
        # (涉密等级不足…); the picker offers only the people cleared for the level.
        field.queryset = (get_user_model().objects.filter(is_active=True)
                          .exclude(groups__name__in=ADMIN_ROLES).select_related("person__department"))
        field.label_from_instance = _person_label
        field.widget = PersonPicker()
        # The picker offers the people cleared for the level; each option carries its person for the search keys.
        field.widget.choices = [("", "请选择")] + [
            (ModelChoiceIteratorValue(u.pk, u), _person_label(u)) for u in attendee_candidates(meeting)]


class HandoutForm(SafeForm):
    serial = forms.CharField(label="载体统一编号", max_length=20,
                             widget=forms.TextInput(attrs={"placeholder": "如 2026-000123", "autocomplete": "off"}))
    attendee = forms.ModelChoiceField(label="领取人", queryset=Attendee.objects.none(), empty_label="请选择")
    disposition = forms.ChoiceField(label="处置", choices=Disposition.choices, initial=Disposition.RECOVER,
                                    widget=forms.RadioSelect)

    def __init__(self, *args, meeting, attendees=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["attendee"]
        field.queryset = Attendee.objects.filter(meeting=meeting).select_related("user__person")
        field.label_from_instance = lambda a: person_name(a.user) + ("" if a.signed_in_at else "（未签到）")
        if attendees is not None:
            field.widget.choices = [("", "请选择")] + [
                (a.pk, field.label_from_instance(a)) for a in attendees if a.signed_in_at]


class LostForm(SafeForm):
    note = forms.CharField(label="丢失情况", widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="发现时间、地点、经过和已采取的措施。")


class RecoverForm(SafeForm):
    note = forms.CharField(label="收回说明（可不填）", required=False, max_length=300)


class CancelForm(SafeForm):
    reason = forms.CharField(label="取消原因", widget=forms.Textarea(attrs={"rows": 2}))
