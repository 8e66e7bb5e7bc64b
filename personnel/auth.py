"""Login hardening (SPEC §12): lockout after N failed logins per account, by django-axes.

Axes counts failures per username and, once the limit is reached, refuses that account — also
when the right password follows — until the 安全保密管理员 unlocks it (no cool-off time).
Every lock and unlock is an audit event; failed logins already are (audits.signals).
"""
from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.shortcuts import render

from audits.models import AuditResult
from audits.services import record_event

LOCKED_MESSAGE = "该账号因连续登录失败已被锁定，请联系安全保密管理员解锁。"


def is_locked(username):
    return AccessAttempt.objects.filter(
        username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT).exists()


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check in front of ModelBackend. Authentication without a request (the test client's
    login(), a shell) cannot be counted by axes, but a locked account is still refused there."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            if username and is_locked(username):
                raise PermissionDenied(LOCKED_MESSAGE)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, credentials, *args, **kwargs):
    """The login page again, with the reason, instead of axes' own page (AXES_LOCKOUT_CALLABLE)."""
    from secrecy.views import LoginForm

    # Unbound: validating it would authenticate (and count a failure) once more.
    form = LoginForm(request, initial={"username": (credentials or {}).get("username", "")})
    return render(request, "registration/login.html", {"form": form, "locked_message": LOCKED_MESSAGE},
                  status=403)


@receiver(user_locked_out, dispatch_uid="personnel.auth.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first()
    record_event(actor=None, action="auth.locked_out", target=account, target_repr=username,
                 result=AuditResult.DENIED,
                 detail={"username": username, "failures": settings.AXES_FAILURE_LIMIT}, source_ip=ip_address)
