from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = "涉密会议"

    def ready(self):
        # Declares the 涉密会议保密管理记录 in documents.registers.REGISTERS, so the web page, the
        # register worker and `manage.py register meeting --meeting <id>` all know it.
        from . import registers  # noqa: F401
