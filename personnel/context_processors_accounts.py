"""Navigation entries of the 三员 screens (templates/base.html): 账号管理 for the 系统管理员,
角色与解锁 for the 安全保密管理员 — with the number of locked accounts, since a locked colleague
waits for exactly this person (SPEC §12)."""
from secrecy.badges import badge_counts

from .models import Role
from .policy import has_role


def navigation(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    manages_roles = has_role(user, Role.SECURITY_ADMIN)
    locked = badge_counts(request).get("locked_accounts", 0) if manages_roles else 0
    return {
        "manages_accounts": has_role(user, Role.SYSADMIN),
        "manages_roles": manages_roles,
        "locked_accounts_count": locked,
    }


def locked_accounts_badge(user):
    """角色与解锁 badge: accounts locked by failed logins, for the 安全保密管理员."""
    if not has_role(user, Role.SECURITY_ADMIN):
        return None
    from .views_accounts import locked_accounts

    return locked_accounts().order_by().values("pk")
