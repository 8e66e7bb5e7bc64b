from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from secrecy.client_ip import client_ip
from . import events
from .models import AuditResult
from .services import record_event


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record_event(actor=user, event=events.LOGIN, source_ip=client_ip(request) if request else None)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event(actor=user, event=events.LOGOUT, source_ip=client_ip(request) if request else None)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; the username tried is what an auditor needs.
    username = (credentials or {}).get("username", "")
    record_event(
        actor=None, event=events.LOGIN_FAILED, result=AuditResult.FAILED,
        target_repr=username, detail={"username": username},
        source_ip=client_ip(request) if request else None,
    )
