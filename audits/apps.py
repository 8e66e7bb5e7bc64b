from django.apps import AppConfig


class AuditsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audits"
    verbose_name = "审计"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import checks, events, signals  # noqa: F401

        # Every app's events.py declares its audit event types; importing them here completes the
        # registry (labels, the filter's select) without audits importing any app by name.
        autodiscover_modules("events")
