from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PersonnelConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "personnel"
    verbose_name = "涉密人员"

    def ready(self):
        from . import leave_blockers, sessions, throttle  # noqa: F401 — connects the login/logout receivers
        from .services_leave import travel_documents_blocker

        leave_blockers.register_leave_blocker(travel_documents_blocker)

        from secrecy.badges import register_badge

        from .context_processors import awaiting_record, travel_waiting
        from .context_processors_accounts import locked_accounts_badge

        register_badge("travel_waiting", travel_waiting)
        register_badge("awaiting_record", awaiting_record)
        register_badge("locked_accounts", locked_accounts_badge)

        # The audit log's questions about people (audits imports no app above it): who reads it,
        # whose acts its daily summary watches, and people's names on its screens.
        from django.db.models import Q

        from audits.policy import register_people

        from .models import Role
        from .policy import has_role, person_of

        register_people(
            is_auditor=lambda user: has_role(user, Role.AUDITOR),
            auditors_q=lambda: Q(groups__name=Role.AUDITOR),
            # REG24 art. 32–35: the auditor watches the other two of the 三员.
            watched_admins_q=lambda: Q(groups__name__in=(Role.SYSADMIN, Role.SECURITY_ADMIN)),
            full_name=lambda user: getattr(person_of(user), "full_name", "") or "",
            name_related="person",
        )


class SecrecyAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS so that the default admin site — the one
    every `admin.site.register` uses — is the 系统管理员's only (personnel.admin_site)."""

    # Not the default config of the personnel package: PersonnelConfig is.
    default = False
    default_site = "personnel.admin_site.SecrecyAdminSite"

    def ready(self):
        super().ready()  # autodiscovers every app's admin module
        from .admin_site import restrict_registry

        restrict_registry(self.module.site)
