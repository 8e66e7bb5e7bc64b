"""Session limits (SPEC §12, cfg): idle timeout (10 minutes) and absolute lifetime (8 hours).

Enforced here rather than by the session's own expiry so that the end of a session is known and
audited: the session table keeps the session for the absolute lifetime (SESSION_COOKIE_AGE), and
this middleware ends it — with an audit event naming the account — when either limit is passed.
"""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from audits.services import record_event

from . import events

STARTED = "_secrecy_started"
SEEN = "_secrecy_seen"
# A page that reloads itself (a register job's progress) adds ?autorefresh=1 to its reload: such
# a request is checked against the limits but is not activity, so it does not reset the idle
# clock. Anyone may add the parameter; it can only make their own session end sooner.
AUTO_REFRESH_PARAM = "autorefresh"
# The "last seen" mark moves only when it is older than this: one session write per half minute
# of activity instead of one per page. The idle limit is counted from the mark, so a session can
# end up to this much before the configured idle time, never after it.
SEEN_RESOLUTION_SECONDS = 30


def start_clock(session, now=None):
    now = (now or timezone.now()).timestamp()
    session[STARTED] = now
    session[SEEN] = now


def _is_auto_refresh(request):
    return request.method in ("GET", "HEAD") and request.GET.get(AUTO_REFRESH_PARAM) == "1"


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            started, seen = request.session.get(STARTED), request.session.get(SEEN)
            if started is None or seen is None:
                start_clock(request.session)
            else:
                limits = settings.SECRECY
                ended = None
                if now - started > limits["SESSION_MAX_SECONDS"]:
                    ended = (events.SESSION_EXPIRED, "登录已超过最长时限，请重新登录。")
                elif now - seen > limits["SESSION_IDLE_SECONDS"]:
                    ended = (events.SESSION_IDLE_TIMEOUT, "长时间未操作，已自动退出，请重新登录。")
                if ended:
                    return self._end(request, user, *ended, started=started, seen=seen, now=now)
                if not _is_auto_refresh(request) and now - seen >= SEEN_RESOLUTION_SECONDS:
                    request.session[SEEN] = now
        return self.get_response(request)

    def _end(self, request, user, event, message, *, started, seen, now):
        from .services_sessions import login_session_close

        key = request.session.session_key
        record_event(actor=user, event=event, target=user,
                     detail={"idle_seconds": round(now - seen), "session_seconds": round(now - started)})
        if key:
            login_session_close(session_key=key, reason=message)
        # logout() flushes the session (and records auth.logout through the signal, as any logout).
        logout(request)
        messages.info(request, message)
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")


class PasswordChangeRequiredMiddleware:
    """Until an account whose password the 系统管理员 set (new account, reset) has changed it
    (issue 11 §5), every page but 修改密码, logging out and static files leads to 修改密码."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path_info):
            from .services_accounts import must_change_password

            if must_change_password(user):
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)

    @staticmethod
    def _exempt(path):
        return (path in (reverse("accounts:password_change"), reverse("logout"))
                or (settings.STATIC_URL and path.startswith(settings.STATIC_URL)))
