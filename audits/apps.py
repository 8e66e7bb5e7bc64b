from django.apps import AppConfig


class AuditsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audits"
    verbose_name = "审计"

    def ready(self):
        from . import checks, signals  # noqa: F401
        # notifications autodiscovers <app>/jobs.py only; the inspection and incident jobs live in
        # their own module and register themselves on import.
        from . import jobs_inspections  # noqa: F401

        from secrecy.badges import register_badge

        from .context_processors_inspections import incidents_open, my_rectifications

        register_badge("my_rectifications", my_rectifications)
        register_badge("incidents_open", incidents_open)
