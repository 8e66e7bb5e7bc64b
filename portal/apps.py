from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The home page and the navigation: the one place that composes every app's "what needs my
    attention" answers (the badges the apps register in secrecy.badges)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "首页与导航"
