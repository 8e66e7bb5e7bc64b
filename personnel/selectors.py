"""Reads of the 涉密人员 screens that depend on who asks."""
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from secrecy.errors import NotVisible

from .policy import may_manage_personnel


def accounts_awaiting_record(*, user):
    """待建档 (issue 14 §7): active accounts that can sign in and have no 涉密人员 record yet — a
    new colleague the 系统管理员 created, who sees nothing until 保密办 records class, review and
    承诺书. Only 保密办 keeps these records (SPEC §1); to anyone else the list is empty. The
    system's own account (periodic jobs) is inactive and has no usable password: never listed."""
    if not may_manage_personnel(user):
        return get_user_model().objects.none()
    return (get_user_model().objects.filter(is_active=True, person__isnull=True)
            .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX))


def account_awaiting_record_get(*, user, pk):
    """One account of the 待建档 list; NotVisible (404) for any other id or any other viewer."""
    try:
        pk = int(pk)
    except (TypeError, ValueError, OverflowError):
        raise NotVisible() from None
    if not 0 < pk < 2 ** 63:  # beyond a row id: SQLite would overflow on the query
        raise NotVisible()
    account = accounts_awaiting_record(user=user).filter(pk=pk).first()
    if account is None:
        raise NotVisible()
    return account
