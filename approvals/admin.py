"""Requests in Django's admin: read-only, limited to the requests the signed-in user may open.

Nothing is ever deleted (SPEC §3), so the admin can neither add, change nor delete a request.
"""
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404

from documents import policy as carrier_policy
from documents.models import Carrier

from . import policy
from .models import ApprovalRequest


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Requests in the admin: read-only, and only those the user may open on the request page
    (requester, decider, serving registrar, witness, 保密办). Carriers are listed by serial and
    only when visible to the user, for the same reason as the carrier admin's original link."""

    list_display = ("id", "kind", "state", "level", "requester", "created_at", "submitted_at", "completed_at")
    list_filter = ("kind", "state", "level")
    search_fields = ("=id", "reason")
    list_select_related = ("requester",)
    ordering = ("-id",)
    show_full_result_count = False
    actions = None
    exclude = ("companions",)
    readonly_fields = ("carriers_display", "steps_display", "companions_display")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(policy.request_visible_q(request.user))

    def get_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.editable] + list(self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._admin_viewer = request.user
        return obj

    @admin.display(description="载体")
    def carriers_display(self, obj):
        viewer = getattr(obj, "_admin_viewer", None)
        ids = list(obj.items.values_list("carrier_id", flat=True))
        visible = carrier_policy.visible_carriers(viewer, Carrier.objects.filter(pk__in=ids)) if viewer else []
        shown = [f"{c.serial} {c.mark}" for c in visible]
        hidden = len(ids) - len(shown)
        return "；".join(shown + ([f"另有 {hidden} 件您无权知悉"] if hidden else [])) or "—"

    @admin.display(description="审批步骤")
    def steps_display(self, obj):
        return "；".join(
            f"{s.order}. {s.requirement}：{s.get_decision_display()}"
            + (f"（{s.decided_by}，{s.decided_at:%Y-%m-%d %H:%M}）" if s.decided_by_id else "")
            for s in obj.steps.select_related("decided_by").order_by("order")) or "—"

    @admin.display(description="同行人员")
    def companions_display(self, obj):
        return "、".join(str(u) for u in obj.companions.order_by("id")) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("未找到该申请")
        return super().change_view(request, object_id, form_url, extra_context)
