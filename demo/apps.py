from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo` and every app's demo data. It is the top of the house: it imports
    the apps' services, and no app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "演示数据"
