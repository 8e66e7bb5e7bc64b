"""Django's admin, for the 系统管理员 only (SPEC §1 三员分立; issue 6).

Made the default admin site by personnel.apps.SecrecyAdminConfig, so every app's `admin.site`
registrations land here. Django's own rule (is_staff) is replaced by the role: only an active
account holding `sysadmin` opens /admin/ — a superuser without the role does not. Everyone else
signed in gets 404 (never 403, never the admin's login form: the admin does not exist for them);
anonymous visitors go to the system's own login page, which counts failed logins (the admin's
form would be a second door beside the lockout).

Inside, the same rules as everywhere: the model admins filter carriers, requests and meetings by
the ordinary policy (an administrator sees none), and the audit log is not registered at all — it
is the 安全审计员's, through the audit screens. What the admin would let a superuser change
behind the services' back is taken away here (restrict_registry).
"""
from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse


class SecrecyAdminSite(admin.AdminSite):
    site_header = "涉密载体管理系统 · 系统管理后台"
    site_title = "系统管理后台"
    index_title = "系统管理后台"

    def has_permission(self, request):
        from .models import Role
        from .policy import has_role

        user = request.user
        return bool(getattr(user, "is_authenticated", False) and user.is_active and has_role(user, Role.SYSADMIN))

    def admin_view(self, view, cacheable=False):
        checked = super().admin_view(view, cacheable)

        def gate(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise Http404()
            return checked(request, *args, **kwargs)

        return update_wrapper(gate, checked)

    def login(self, request, extra_context=None):
        if not request.user.is_authenticated:
            return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name))
        if not self.has_permission(request):
            raise Http404()
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))


def _read_only(model_admin_class):
    class ReadOnly(model_admin_class):
        actions = None

        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    ReadOnly.__name__ = ReadOnly.__qualname__ = f"ReadOnly{model_admin_class.__name__}"
    return ReadOnly


def restrict_registry(site):
    """Called once the admin modules are loaded (SecrecyAdminConfig.ready). The admin's default
    registrations would let a superuser holding `sysadmin` step around the services:
    - accounts and groups (= roles) read-only: accounts change through personnel.services_accounts
      (audited, disabling ends sessions) and roles through role_grant, which enforces 三员分立 and
      is the 安全保密管理员's (SPEC §1);
    - django-axes' counters not at all: deleting one would unlock an account, which only the
      安全保密管理员 may do (SPEC §12, services_accounts.account_unlock)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    for model in (get_user_model(), Group):
        if site.is_registered(model):
            current = type(site.get_model_admin(model))
            site.unregister(model)
            site.register(model, _read_only(current))
    for model in list(site._registry):
        if model._meta.app_label == "axes":
            site.unregister(model)
