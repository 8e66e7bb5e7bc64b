from django.contrib import admin

from .models import Department, Leave, LoginSession, Person, PersonReview, Training, Travel, TravelDocument


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only in Django's admin: changes go through personnel.services so they are checked and
    audited (ARCHITECTURE: views, admin, commands and tasks never save domain models)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "is_secrecy_office", "is_personnel_office")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "department", "person_class", "status", "review_date", "commitment_signed_on")
    list_filter = ("person_class", "status", "department")
    search_fields = ("full_name", "user__username")


@admin.register(PersonReview)
class PersonReviewAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "reviewed_on", "passed", "reviewer")
    list_select_related = ("person",)


@admin.register(Training)
class TrainingAdmin(ReadOnlyAdmin):
    list_display = ("person", "trained_on", "hours", "topic", "organiser")
    list_select_related = ("person",)


@admin.register(TravelDocument)
class TravelDocumentAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "number", "status", "handed_in_on", "valid_until")
    list_filter = ("kind", "status")
    list_select_related = ("person",)


@admin.register(Leave)
class LeaveAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "state", "planned_on", "declassify_starts_on", "declassify_ends_on")
    list_filter = ("state", "kind")
    list_select_related = ("person",)


@admin.register(Travel)
class TravelAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "destination", "departs_on", "returns_on", "state", "in_declassify_period")
    list_filter = ("state", "kind", "in_declassify_period")
    list_select_related = ("person",)


@admin.register(LoginSession)
class LoginSessionAdmin(ReadOnlyAdmin):
    # The session key is a credential: never listed.
    list_display = ("user", "started_at", "ended_at", "end_reason")
    exclude = ("session_key",)
