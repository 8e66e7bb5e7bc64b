"""Slowing down one client address that fails many logins across accounts (issue 11 §3).

The per-account lock (personnel.auth) stops guessing one password; it does not stop four guesses on
every account. This counts failed logins per client address (secrecy.client_ip: the same address
the audit log shows) over a window. Past SECRECY_LOGIN_THROTTLE_FAILURES failures, each further
failure makes the address wait before its next attempt is even checked — 1 s, 2 s, 4 s … capped
at SECRECY_LOGIN_THROTTLE_MAX_DELAY_SECONDS — and an attempt before then is refused unchecked with
"登录尝试过于频繁，请 X 秒后再试". It slows, it never locks: behind one proxy or NAT the whole unit
shares an address, and the right password always gets through once the wait is over. A quiet
window (SECRECY_LOGIN_THROTTLE_WINDOW_MINUTES without a failure) starts the count again.
"""
import math

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audits.models import AuditResult
from audits.services import record_event
from secrecy.client_ip import client_ip

from . import events
from .models import LoginThrottle
from .services_sessions import login_failure_record


def throttled_message(seconds):
    return f"登录尝试过于频繁，请 {seconds} 秒后再试。"


def delay_after(failures):
    """Seconds to wait after this many failures in the window (0 up to the limit)."""
    over = failures - settings.SECRECY_LOGIN_THROTTLE_FAILURES
    if over <= 0:
        return 0
    cap = max(1, settings.SECRECY_LOGIN_THROTTLE_MAX_DELAY_SECONDS)
    # 2 ** 30 s is far past any cap; stop doubling there so a long attack cannot overflow.
    return min(2 ** min(over - 1, 30), cap)


def retry_after(ip_address):
    """Seconds this address must still wait before a login is checked (0: go ahead)."""
    if not ip_address:
        return 0
    blocked_until = (LoginThrottle.objects.filter(ip_address=ip_address)
                     .values_list("blocked_until", flat=True).first())
    if blocked_until is None:
        return 0
    left = (blocked_until - timezone.now()).total_seconds()
    return math.ceil(left) if left > 0 else 0


def refuse(request, username, seconds):
    """Audit an attempt refused unchecked because its address must wait."""
    record_event(actor=None, event=events.LOGIN_THROTTLED, result=AuditResult.DENIED,
                 target_repr=username or "", source_ip=client_ip(request),
                 detail={"username": username or "", "retry_after_seconds": seconds})


@receiver(user_login_failed, dispatch_uid="personnel.throttle.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        login_failure_record(ip_address=client_ip(request), delay_after=delay_after)
