from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "通知与定时任务"

    def ready(self):
        # Fill the job registry from every installed app's `jobs` module (this app's own included),
        # so later work (declassification, pre-expiry reminders, circulation deadlines) adds a job
        # by writing one decorated function in <app>/jobs.py — no edit here, no new beat machinery.
        autodiscover_modules("jobs")
        # The daily audit summary's job: audits writes it, this app tells the auditors.
        from . import jobs_audit  # noqa: F401

        from secrecy.badges import register_badge

        from .selectors import unread_queryset

        # The 通知 badge of the menu, counted with every other badge (secrecy.badges).
        register_badge("notifications_unread", lambda user: unread_queryset(user=user))
