"""Login hardening (SPEC §12; issue 11 §3): lockout after N failed logins per account, by django-axes.

Axes counts failures per username (summed over the client addresses and browsers they came from)
and, once the limit is reached, refuses that account — also when the right password follows —
for the cool-off time (AXES_COOLOFF_TIME, SECRECY_LOCKOUT_COOLOFF_MINUTES), or until the
安全保密管理员 (or the host operator, manage.py unlock_account) unlocks it earlier. A lock without
end would let anyone shut out the only 安全保密管理员 for good. Attempts refused during the lock
do not restart the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False).
Every lock and unlock is an audit event; failed logins already are (audits.signals). The slow-down
per client address across accounts is personnel.throttle.
"""
import datetime as dt
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event

from . import events


def locked_message(remaining=None):
    """The refusal a locked account sees, with how long the lock still lasts."""
    if remaining is None:
        minutes = settings.SECRECY_LOCKOUT_COOLOFF_MINUTES
    else:
        minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return (f"该账号因连续登录失败已被锁定，约 {minutes} 分钟后自动解锁；"
            "如需提前解锁，请联系安全保密管理员。")


def _active_attempts():
    """Axes' counters still inside the cool-off (axes itself deletes older ones lazily, on the
    next failed login, so they may still be in the table)."""
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def locked_usernames_query():
    """A values("username") query of the locked usernames, as axes decides it: the failures of
    one username summed over all its counters (one per address and browser) reach the limit."""
    return (_active_attempts().values("username").annotate(total=Sum("failures_since_start"))
            .filter(total__gte=settings.AXES_FAILURE_LIMIT).values("username"))


def lock_remaining(username):
    """How long the account stays locked (a timedelta), or None when it is not locked. The lock
    ends when enough of the oldest counters leave the cool-off for the sum to fall below the limit."""
    rows = list(_active_attempts().filter(username=username).order_by("attempt_time")
                .values_list("attempt_time", "failures_since_start"))
    total = sum(failures for _, failures in rows)
    limit = settings.AXES_FAILURE_LIMIT
    if total < limit:
        return None
    cool_off = get_cool_off()
    for attempt_time, failures in rows:
        total -= failures
        if total < limit:
            return max(attempt_time + cool_off - timezone.now(), dt.timedelta(0))
    return None  # not reached: the loop ends below the limit at the latest after the last row


def is_locked(username):
    return lock_remaining(username) is not None


class PersonBackend(ModelBackend):
    """Django's ModelBackend, loading the signed-in user with what every page asks of them — the
    涉密人员 record and its department (clearance, name, navigation) and the password state (the
    forced change) — in the one query that loads the user (issue 12: constant, fewer queries)."""

    def get_user(self, user_id):
        user = (get_user_model()._default_manager.select_related("person__department", "password_state")
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check in front of ModelBackend. Authentication without a request (the test client's
    login(), a shell) cannot be counted by axes, but a locked account is still refused there."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            if username and is_locked(username):
                raise PermissionDenied(locked_message())
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, credentials, *args, **kwargs):
    """The login page again, with the reason, instead of axes' own page (AXES_LOCKOUT_CALLABLE)."""
    from .forms_accounts import LoginForm

    username = (credentials or {}).get("username", "")
    # Unbound: validating it would authenticate (and count a failure) once more.
    form = LoginForm(request, initial={"username": username})
    message = locked_message(lock_remaining(username) if username else None)
    return render(request, "registration/login.html", {"form": form, "locked_message": message}, status=403)


@receiver(user_locked_out, dispatch_uid="personnel.auth.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first()
    record_event(actor=None, event=events.LOCKED_OUT, target=account, target_repr=username,
                 result=AuditResult.DENIED,
                 detail={"username": username, "failures": settings.AXES_FAILURE_LIMIT,
                         "cooloff_minutes": settings.SECRECY_LOCKOUT_COOLOFF_MINUTES}, source_ip=ip_address)
