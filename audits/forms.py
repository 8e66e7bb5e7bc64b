"""Forms of the auditor's screens (the event filters are audits.filters.AuditEventFilter; the
export's format is checked by audits.selectors.event_export_register)."""
from django import forms

from secrecy.forms import SafeForm


class SummaryDayForm(SafeForm):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
