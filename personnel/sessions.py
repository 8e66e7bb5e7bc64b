"""Every login records its session key (so a revoked account's sessions can be ended, SPEC §8 and
§12: personnel.services_sessions.sessions_end) and logging out closes the record."""
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .services_sessions import login_session_close, login_session_open


@receiver(user_logged_in, dispatch_uid="personnel.sessions.logged_in")
def _logged_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None) if request is not None else None
    if session is None:
        return
    from .middleware import start_clock

    start_clock(session)
    if not session.session_key:
        session.save()
    login_session_open(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="personnel.sessions.logged_out")
def _logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None) if request is not None else None
    if session is not None and session.session_key:
        login_session_close(session_key=session.session_key, reason="退出登录")

