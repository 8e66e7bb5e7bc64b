"""Meetings in Django's admin: a read-only window, limited to the meetings the signed-in user may
see (meetings.policy), like the carriers' admin (documents/admin.py). Every change goes through
meetings.services so it is checked and audited; nothing is ever deleted."""
from django.contrib import admin

from .models import Attendee, Handout, Meeting
from .policy import visible_meetings_q


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None
    # The path from this model to its meeting, for the visibility filter.
    meeting_path = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self.meeting_path:
            return queryset.filter(visible_meetings_q(request.user))
        return queryset.filter(**{f"{self.meeting_path}__in": Meeting.objects.filter(
            visible_meetings_q(request.user)).values("pk")})

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("reference", "name", "level", "state", "starts_at", "department")
    list_filter = ("state", "level")


@admin.register(Attendee)
class AttendeeAdmin(ReadOnlyAdmin):
    meeting_path = "meeting"
    list_display = ("meeting", "user", "role", "designated_by", "signed_in_at")


@admin.register(Handout)
class HandoutAdmin(ReadOnlyAdmin):
    meeting_path = "meeting"
    # The carrier by its 统一编号 only: its title is for those who may see the carrier.
    list_display = ("meeting", "number", "carrier_serial", "disposition", "recovered_at", "lost_reported_at")
    exclude = ("carrier",)

    @admin.display(description="统一编号")
    def carrier_serial(self, obj):
        return obj.carrier.serial

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "carrier"] + ["carrier_serial"]
