from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "approvals"
    verbose_name = "审批"

    def ready(self):
        from .kinds import carry, copy, destroy, lend, reclassify, repair, scope
        from .registry import register_kind

        # Every kind of request and its handler: its table, checks, completion and held status.
        for kind in (lend, copy, carry, repair, destroy, reclassify, scope):
            register_kind(kind.HANDLER)
