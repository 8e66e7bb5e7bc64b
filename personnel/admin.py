from django.contrib import admin

from .models import Department, Person


# Read-only in Django's admin: changes go through personnel.services so they are audited.
@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_secrecy_office")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(DepartmentAdmin):
    list_display = ("full_name", "department", "person_class", "status")
