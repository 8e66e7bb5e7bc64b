from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "涉密载体"

    def ready(self):
        from personnel.leave_blockers import register_leave_blocker

        from .leave import carriers_held_blocker

        register_leave_blocker(carriers_held_blocker)

        from notifications.targets import register_target

        from .policy import carrier_notice_recipients, carriers_visible_among

        # Notices naming a carrier: read in full only by who may see it when reading; never
        # written for the three administrators (SPEC §1: no carrier content for them).
        register_target("documents.carrier", visible_ids=carriers_visible_among,
                        may_be_told=carrier_notice_recipients)

        from secrecy.badges import register_badge

        from .badges import steps_to_sign

        # The menu's 待阅签, counted with every other badge (待办 is approvals' own).
        register_badge("circulation_to_sign", steps_to_sign)

        # Incidents (audits) ask the same question through the lowest layer (audits may not import
        # notifications): one answer, registered for both.
        from secrecy.visibility import register_carrier_visibility

        register_carrier_visibility(carriers_visible_among)
