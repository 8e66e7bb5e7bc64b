"""Reads of the notifications app. A notification exists only for its recipient."""
from django.conf import settings

from secrecy.errors import NotVisible
from secrecy.keyset import keyset_page, queryset_fetch

from . import targets
from .models import Notification

# The badge shows "99+" past this: counting further is wasted work on every page.
UNREAD_BADGE_CAP = 99


def notifications_of(*, user):
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-id")


def notification_get_for_user(*, user, pk):
    """The notification if it is this user's; otherwise NotVisible (answered as 404)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotVisible() from None
    row = notifications_of(user=user).filter(pk=pk).first()
    if row is None:
        raise NotVisible()
    return row


def unread_queryset(*, user, cap=UNREAD_BADGE_CAP):
    """Unread notices, up to cap + 1 of them (the partial index holds only unread rows)."""
    return notifications_of(user=user).filter(read_at__isnull=True).order_by().values("pk")[: cap + 1]



def notification_page(*, user, after=None, before=None, size=None):
    """Keyset (seek) pagination on id, newest first: constant cost whatever the page."""
    page = keyset_page(queryset_fetch(notifications_of(user=user)), after=after, before=before,
                       size=size or settings.SECRECY["LIST_PAGE_SIZE"])
    # Counted as they are (a redacted notice is still a notice, listed and in the badge), but a
    # notice naming a carrier the reader may not see now shows neither its text nor its link.
    targets.mark_redacted(user, page["rows"])
    return page
