# 保密检查 and 泄密/丢失事件: a read-only window for 保密办 only (the screens under inspections/ and
# incidents/ are where the work is done, through oversight.services, so
# every change is checked and audited). Nothing is ever deleted.
from django.contrib import admin

from .models import (
    ChecklistItem, ChecklistTemplate, Finding, Incident, IncidentCarrier, Inspection, Rectification,
)
from .policy import is_secrecy_office


class _OfficeReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if is_secrecy_office(request.user) else queryset.none()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_view_permission(self, request, obj=None):
        return is_secrecy_office(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(_OfficeReadOnlyAdmin):
    list_display = ("name", "active", "created_at")


@admin.register(ChecklistItem)
class ChecklistItemAdmin(_OfficeReadOnlyAdmin):
    list_display = ("template", "order", "text")


@admin.register(Inspection)
class InspectionAdmin(_OfficeReadOnlyAdmin):
    list_display = ("reference", "department", "inspected_on", "state")
    list_filter = ("state",)


@admin.register(Finding)
class FindingAdmin(_OfficeReadOnlyAdmin):
    list_display = ("inspection", "order", "result")


@admin.register(Rectification)
class RectificationAdmin(_OfficeReadOnlyAdmin):
    list_display = ("inspection", "number", "owner", "deadline", "state", "verified_at")
    list_filter = ("state",)


@admin.register(Incident)
class IncidentAdmin(_OfficeReadOnlyAdmin):
    list_display = ("reference", "kind", "level", "discovered_at", "report_deadline", "state")
    list_filter = ("state", "kind")


@admin.register(IncidentCarrier)
class IncidentCarrierAdmin(_OfficeReadOnlyAdmin):
    list_display = ("incident", "serial", "carrier_id", "level")
