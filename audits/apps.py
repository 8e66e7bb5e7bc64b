from django.apps import AppConfig


class AuditsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audits"
    verbose_name = "审计"

    def ready(self):
        from . import checks, signals  # noqa: F401
