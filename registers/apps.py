from django.apps import AppConfig


class RegistersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registers"
    verbose_name = "登记簿"

    def ready(self):
        from secrecy import printing

        from .producing import render
        from .registry import autodiscover
        from .services import register_produce

        autodiscover()
        # Apps below this one (audits, documents, meetings) print through these slots.
        printing.provide(render=render, produce=register_produce)
