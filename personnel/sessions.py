"""Ending an account's sessions when its access is revoked (离岗离职 approval, SPEC §8; disabling
an account, SPEC §12). Django's session table cannot be searched by user, so every login records
its session key in LoginSession and logging out closes the row."""
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from .models import LoginSession


def _store(session_key):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


@receiver(user_logged_in, dispatch_uid="personnel.sessions.logged_in")
def _logged_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None) if request is not None else None
    if session is None:
        return
    from .middleware import start_clock

    start_clock(session)
    if not session.session_key:
        session.save()
    LoginSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})


@receiver(user_logged_out, dispatch_uid="personnel.sessions.logged_out")
def _logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None) if request is not None else None
    if session is not None and session.session_key:
        LoginSession.objects.filter(session_key=session.session_key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="退出登录")


def end_sessions(user, *, reason):
    """Delete every live session of the account; returns how many were open. Called inside the
    revoking service's transaction (the session rows are on the same database)."""
    open_rows = list(LoginSession.objects.select_for_update().filter(user=user, ended_at__isnull=True))
    for row in open_rows:
        _store(row.session_key).delete()
    LoginSession.objects.filter(pk__in=[r.pk for r in open_rows]).update(ended_at=timezone.now(), end_reason=reason)
    return len(open_rows)
