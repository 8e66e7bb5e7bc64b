"""Navigation entries of the 三员 screens (templates/base.html): 账号管理 for the 系统管理员,
角色与解锁 for the 安全保密管理员 — with the number of locked accounts, since a locked colleague
waits for exactly this person (SPEC §12)."""
from .models import Role
from .policy import has_role


def navigation(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    manages_roles = has_role(user, Role.SECURITY_ADMIN)
    locked = 0
    if manages_roles:
        from .views_accounts import locked_accounts

        locked = locked_accounts().count()
    return {
        "manages_accounts": has_role(user, Role.SYSADMIN),
        "manages_roles": manages_roles,
        "locked_accounts_count": locked,
    }
