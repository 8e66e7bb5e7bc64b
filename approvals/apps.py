from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "approvals"
    verbose_name = "审批"

    def ready(self):
        from .kinds import carry, copy, destroy, lend, reclassify, repair, scope
        from .registry import register_kind

        # Every kind of request and its handler: its table, checks, completion and held status.
        for kind in (lend, copy, carry, repair, destroy, reclassify, scope):
            register_kind(kind.HANDLER)

        # documents sits below approvals and asks it through its own registries (ARCHITECTURE:
        # import direction): who else may see a carrier for now, what an open request blocks, what
        # the carrier page shows of requests, and who asks for a wider 知悉范围.
        from documents.hooks import register_carrier_page_context, register_open_work, register_scope_widening
        from documents.policy import register_need_to_know

        from . import hooks
        from .policy import NEED_TO_KNOW_SOURCES

        for source_for in NEED_TO_KNOW_SOURCES:
            register_need_to_know(source_for)
        register_open_work(hooks.OPEN_REQUESTS)
        register_carrier_page_context("approvals", hooks.carrier_page_context)
        register_scope_widening(scope.scope_request_create)

        from secrecy.badges import register_badge

        from .badges import requests_to_carry_out, requests_to_decide, requests_to_witness

        # The menu's 待办 (to decide + to witness), counted with every other badge.
        register_badge("approvals_to_decide", requests_to_decide)
        register_badge("approvals_to_witness", requests_to_witness)
        # 审批办理: the registrar's queue of approved requests to carry out (issue 14 §3).
        register_badge("approvals_to_carry_out", requests_to_carry_out)
