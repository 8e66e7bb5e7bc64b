from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "涉密载体"

    def ready(self):
        from personnel.leave_blockers import register_leave_blocker

        from .leave import carriers_held_blocker

        register_leave_blocker(carriers_held_blocker)

        from secrecy.visibility import register_carrier_visibility

        from .policy import visible_carriers

        register_carrier_visibility(
            lambda user, ids: visible_carriers(user).filter(pk__in=ids).values_list("pk", flat=True))
