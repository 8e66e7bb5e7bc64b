from django.apps import AppConfig


class OversightConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "保密检查与泄密事件"

    def ready(self):
        from documents.lost_carriers import register_lost_carrier_handler
        from secrecy.badges import register_badge

        from .context_processors import incidents_open, my_rectifications
        from .services.incidents import incident_for_lost_carrier

        register_badge("my_rectifications", my_rectifications)
        register_badge("incidents_open", incidents_open)
        # SPEC §10: a carrier reported lost anywhere opens (or joins) a 丢失 incident.
        register_lost_carrier_handler(incident_for_lost_carrier)
