"""The writes behind signing in and out: the record of each login session (so a revoked account's
sessions can be ended, SPEC §8 and §12), the failed-login count per client address (issue 11 §3)
and the password's age and history. Signal receivers, the middleware and the password validator
call these; none of them writes a row itself (ARCHITECTURE "One room per job")."""
import datetime as dt
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event

from . import events
from .models import LoginSession, LoginThrottle, PasswordHistory, PasswordState


def _store(session_key):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


@transaction.atomic
def login_session_open(*, user, session_key):
    """Remember which account a new session belongs to (Django's session table cannot be searched
    by user)."""
    LoginSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


@transaction.atomic
def login_session_close(*, session_key, reason):
    """Close the record of a session that ended (logged out, timed out)."""
    LoginSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason)


@transaction.atomic
def sessions_end(*, user, reason):
    """Delete every live session of the account; returns how many were open. Called inside the
    revoking service's transaction (the session rows are on the same database)."""
    open_rows = list(LoginSession.objects.select_for_update().filter(user=user, ended_at__isnull=True))
    for row in open_rows:
        _store(row.session_key).delete()
    LoginSession.objects.filter(pk__in=[r.pk for r in open_rows]).update(ended_at=timezone.now(), end_reason=reason)
    return len(open_rows)


@transaction.atomic
def login_failure_record(*, ip_address, delay_after):
    """Count one failed login from this address; returns the wait it now has (seconds).
    delay_after(failures) is the throttle's schedule (personnel.throttle)."""
    if not ip_address:
        return 0
    now = timezone.now()
    row, created = LoginThrottle.objects.select_for_update().get_or_create(
        ip_address=ip_address, defaults={"last_failure_at": now})
    window = dt.timedelta(minutes=settings.SECRECY_LOGIN_THROTTLE_WINDOW_MINUTES)
    if not created and now - row.last_failure_at > window:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = delay_after(row.failures)
    row.blocked_until = now + dt.timedelta(seconds=delay) if delay else None
    row.save()
    if row.failures == settings.SECRECY_LOGIN_THROTTLE_FAILURES + 1:
        # Once per episode: from here on the address is slowed down.
        record_event(actor=None, event=events.ADDRESS_THROTTLED, result=AuditResult.DENIED,
                     target_repr=ip_address, source_ip=ip_address,
                     detail={"failures": row.failures,
                             "window_minutes": settings.SECRECY_LOGIN_THROTTLE_WINDOW_MINUTES})
    return delay


@transaction.atomic
def password_change_record(*, user):
    """A new password was saved: the rotation clock restarts and the new hash (user.password)
    joins the history, so the next changes can refuse it."""
    now = timezone.now()
    PasswordState.objects.update_or_create(user=user, defaults={"changed_at": now})
    PasswordHistory.objects.create(user=user, password=user.password, set_at=now)
