"""The inbox (通知): list, 标为已读, 全部标为已读. Thin: parse input, call one selector or service.

Every signed-in user has an inbox, the three admin roles included (security events later). A
notification's link leads to its carrier or request page, which makes its own access check.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from secrecy.errors import NotVisible
from secrecy.keyset import parse_cursor
from secrecy.levels import highest_level

from . import selectors, services
from .targets import REDACTED_TITLE


def _back(request):
    # Back to the page of the list the button was on; only a number is taken from the form, so
    # this cannot redirect anywhere else.
    url = reverse("notifications:inbox")
    after = parse_cursor(request.POST.get("after"))
    return redirect(f"{url}?after={after}" if after is not None else url)


@login_required
def inbox(request):
    page = selectors.notification_page(user=request.user, after=parse_cursor(request.GET.get("after")),
                                       before=parse_cursor(request.GET.get("before")))
    rows = page["rows"]
    return render(request, "notifications/inbox.html", {
        "page": page, "rows": rows, "after": parse_cursor(request.GET.get("after")),
        # The banner shows the highest level of what the notices on this page are about (a
        # redacted notice shows nothing of its carrier, its level included).
        "page_level": highest_level(r.level for r in rows if not r.redacted),
        "redacted_title": REDACTED_TITLE,
    })


@login_required
@require_POST
def mark_read(request, pk):
    try:
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
        services.notification_mark_read(actor=request.user, notification=notification)
    except NotVisible:
        raise Http404("未找到") from None
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读" if count else "没有未读通知")
    return redirect("notifications:inbox")
