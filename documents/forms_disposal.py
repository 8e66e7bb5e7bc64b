"""The forms of 清退, 归档, 移交 and 报告丢失. Every field is optional here: the service decides what
is required and its refusal is put next to the field (forms.apply_domain_error), so the rule lives
in one place and a Celery task or an admin action meets the same one."""
from django import forms

from .forms import SectionedForm

NOTE_WIDGET = forms.Textarea(attrs={"rows": 3})


class ReturnToIssuerForm(SectionedForm):
    receiver = forms.CharField(label="接收单位/接收人", max_length=200, required=False,
                               help_text="必填：接收清退的制发机关、单位及经办人")
    receipt_number = forms.CharField(label="回执号", max_length=100, required=False,
                                     help_text="必填：制发机关出具的清退回执或签收单编号")
    note = forms.CharField(label="说明", max_length=1000, required=False, widget=NOTE_WIDGET,
                           help_text="例如制发机关的清退通知文号")

    sections = (("清退", ("receiver", "receipt_number", "note")),)
    wide_fields = ("note",)

    def service_data(self):
        return {k: self.cleaned_data.get(k, "") for k in ("receiver", "receipt_number", "note")}


class ArchiveForm(SectionedForm):
    archive_number = forms.CharField(label="档号", max_length=100, required=False, help_text="必填：档案部门编定的档号")
    receiver = forms.CharField(label="接收部门/接收人", max_length=200, required=False,
                               help_text="接收归档的档案部门及经办人")
    note = forms.CharField(label="说明", max_length=1000, required=False, widget=NOTE_WIDGET)

    sections = (("归档", ("archive_number", "receiver", "note")),)
    wide_fields = ("note",)

    def service_data(self):
        return {k: self.cleaned_data.get(k, "") for k in ("archive_number", "receiver", "note")}


class TransferForm(SectionedForm):
    receiver = forms.CharField(label="接收单位/接收人", max_length=200, required=False,
                               help_text="必填：接收移交的单位及签收人")
    receipt_number = forms.CharField(label="移交单号/回执号", max_length=100, required=False,
                                     help_text="必填：移交清单或接收单位签收回执的编号")
    note = forms.CharField(label="说明", max_length=1000, required=False, widget=NOTE_WIDGET,
                           help_text="例如移交依据（机构撤并文件等）")

    sections = (("移交", ("receiver", "receipt_number", "note")),)
    wide_fields = ("note",)

    def service_data(self):
        return {k: self.cleaned_data.get(k, "") for k in ("receiver", "receipt_number", "note")}


class ReportLostForm(SectionedForm):
    note = forms.CharField(label="丢失情况", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text="必填：发现时间、地点、经过、当事人和已采取的补救措施")

    sections = (("报告丢失", ("note",)),)
    wide_fields = ("note",)

    def service_data(self):
        return {"note": self.cleaned_data.get("note", "")}
