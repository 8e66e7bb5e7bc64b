"""Carriers in Django's admin: a read-only window, limited to what the signed-in user may see.

Nothing is ever deleted (SPEC §3) and a carrier the user may not see does not exist for them
(SPEC §4), so the admin can neither add, change nor delete carriers, has no bulk actions, and
its list and detail go through the same policy filter as every other screen.
"""
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404

from . import policy, services
from .models import Carrier

# The link to the original would show the original's serial and title even when the user may not
# see the original, so it is rendered by original_display() below, only when visible.
HIDDEN_FIELDS = ("original",)


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("serial", "title", "level", "kind", "direction", "department", "custody_status", "doc_date")
    list_filter = ("level", "kind", "direction", "custody_status", "secrecy_status")
    search_fields = ("=serial", "title", "doc_number")
    list_select_related = ("department",)
    ordering = ("-id",)
    # No COUNT(*) of the whole table (SPEC §4: counts leave invisible carriers out; big tables crawl).
    show_full_result_count = False
    actions = None

    def get_queryset(self, request):
        return policy.visible_carriers(request.user, super().get_queryset(request))

    def get_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in HIDDEN_FIELDS and f.editable] + [
            "original_display"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="原件")
    def original_display(self, obj):
        if obj.original_id is None:
            return "—"
        viewer = getattr(obj, "_admin_viewer", None)
        original = policy.visible_carriers(viewer, Carrier.objects.filter(pk=obj.original_id)).first() if viewer else None
        return str(original) if original else "—"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._admin_viewer = request.user
        return obj

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            services.carrier_record_denied(user=request.user, requested=object_id)
            raise Http404("未找到该载体")
        if request.method == "GET":
            services.carrier_record_view(user=request.user, carrier=obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("未找到该载体")
        return super().history_view(request, object_id, extra_context)
