"""Accounts, as the 三员 handle them (SPEC §1, §12; issue 6): the 系统管理员 creates, disables and
re-enables accounts; the 安全保密管理员 unlocks a locked one. Each is one audited service; neither
administrator touches carriers, and neither acts on their own account."""
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audits.services import record_event
from secrecy.errors import InvalidState, PolicyDenied, ValidationFailed

from . import events
from .models import Role
from .policy import has_role
from .services_sessions import sessions_end


def _check(actor, role, what):
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and has_role(actor, role)):
        raise PolicyDenied(f"只有{Role(role).label}可以{what}")


def _lock(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _require_change(user, required=True):
    from django.utils import timezone

    from .models import PasswordState

    state, _ = PasswordState.objects.get_or_create(user=user, defaults={"changed_at": timezone.now()})
    if state.must_change != required:
        state.must_change = required
        state.save(update_fields=["must_change"])


def must_change_password(user):
    from .models import PasswordState

    # The signed-in user comes with the state already (personnel.auth.PersonBackend): no query.
    if "password_state" in user._state.fields_cache:
        state = user._state.fields_cache["password_state"]
        return bool(state and state.must_change)
    return PasswordState.objects.filter(user_id=user.pk, must_change=True).exists()


def _remember_current(user):
    """Accounts made with create_user (seed_demo, older accounts) have their current hash in no
    history row — Django saves it without telling the validators. Record it before it is replaced,
    so the history refuses it like any other recent password."""
    from .models import PasswordHistory, PasswordState

    if user.has_usable_password() and not PasswordHistory.objects.filter(user=user, password=user.password).exists():
        state = PasswordState.objects.filter(user=user).values_list("changed_at", flat=True).first()
        PasswordHistory.objects.create(user=user, password=user.password, set_at=state or user.date_joined)


MISMATCH = "两次输入的密码不一致"


def _new_password_errors(user, password, field, *, confirm=None, confirm_field=None):
    """Every problem with a new password, as field errors (empty: none): the validators, and the
    confirmation when one is given — checked here with the rest, so a form shows them in one round."""
    errors = {}
    if not password:
        errors[field] = "请输入新密码"
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            errors[field] = list(error.messages)
        if confirm is not None and confirm != password:
            errors[confirm_field] = MISMATCH
    return errors


@transaction.atomic
def account_password_reset(*, actor, user, password, confirm=None):
    """The 系统管理员 sets a new password for someone who forgot theirs. He then knows it, so the
    owner must change it at the next login; the account's open sessions end (whoever holds one
    may be the reason for the reset)."""
    _check(actor, Role.SYSADMIN, "重置密码")
    if user.pk == actor.pk:
        raise PolicyDenied("本人的密码请在“修改密码”页面修改")
    user = _lock(user)
    if not user.has_usable_password():
        raise InvalidState("该账号没有可用的密码（系统自动任务账号），不能重置")
    errors = _new_password_errors(user, password, "password", confirm=confirm, confirm_field="password_confirm")
    if errors:
        raise ValidationFailed(errors)
    _remember_current(user)
    user.set_password(password)
    user.save()
    _require_change(user)
    ended = sessions_end(user=user, reason="密码被重置")
    record_event(actor=actor, event=events.PASSWORD_RESET, target=user,
                 detail={"username": user.get_username(), "sessions_ended": ended})
    return user


def password_change(*, user, old_password, new_password, confirm=None):
    """Every signed-in user changes their own password (issue 11 §5). The current password is
    asked again (a session left open is not enough); the new one obeys the validators and is none
    of the account's last PASSWORD_HISTORY_COUNT passwords. All problems are reported at once, at
    their fields. The event records no secret."""
    from django.conf import settings
    from django.contrib.auth.hashers import check_password

    from audits.models import AuditResult

    from .models import PasswordHistory

    if not (getattr(user, "is_authenticated", False) and user.is_active):
        raise PolicyDenied("请先登录")
    errors = {}
    if not old_password:
        errors["old_password"] = "请输入当前密码"
    elif not user.check_password(old_password):
        # Recorded outside the refused change (its transaction would roll the event back):
        # guessing the current password through an open session shows in the audit log.
        record_event(actor=user, event=events.PASSWORD_CHANGE, target=user, result=AuditResult.FAILED,
                     detail={"reason": "当前密码不正确"})
        errors["old_password"] = "当前密码不正确"
    with transaction.atomic():
        user = _lock(user)
        errors.update(_new_password_errors(user, new_password, "new_password", confirm=confirm,
                                           confirm_field="new_password_confirm"))
        count = settings.SECRECY["PASSWORD_HISTORY_COUNT"]
        if "new_password" not in errors:
            _remember_current(user)
            # The current password is the newest row: it and the count - 1 before it.
            recent = PasswordHistory.objects.filter(user=user).order_by("-set_at", "-pk").values_list(
                "password", flat=True)[:count]
            if any(check_password(new_password, encoded) for encoded in recent):
                errors["new_password"] = f"不能使用最近 {count} 次用过的密码"
        if errors:
            raise ValidationFailed(errors)
        forced = must_change_password(user)
        user.set_password(new_password)
        user.save()
        _require_change(user, required=False)
        record_event(actor=user, event=events.PASSWORD_CHANGE, target=user, detail={"forced": forced})
    return user


@transaction.atomic
def account_create(*, actor, username, password, full_name=""):
    """A new login. The 涉密人员 record, roles and clearance come from 保密办 and the 安全保密管理员."""
    _check(actor, Role.SYSADMIN, "创建账号")
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = "请填写用户名"
    elif get_user_model().objects.filter(username__iexact=username).exists():
        errors["username"] = "该用户名已存在"
    user = get_user_model()(username=username, first_name=(full_name or "").strip()[:150])
    if not password:
        errors["password"] = "请设置初始密码"
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if errors:
        raise ValidationFailed(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed({"username": "该用户名已存在"}) from None
    # The 系统管理员 knows this password: the owner must replace it at the first login.
    _require_change(user)
    record_event(actor=actor, event=events.ACCOUNT_CREATE, target=user, detail={"username": username})
    return user


@transaction.atomic
def account_disable(*, actor, user, reason):
    """Disabling ends every session of the account at once (SPEC §12)."""
    _check(actor, Role.SYSADMIN, "停用账号")
    if user.pk == actor.pk:
        raise PolicyDenied("不能停用本人的账号")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "请填写停用原因"})
    user = _lock(user)
    if not user.is_active:
        raise InvalidState("该账号已停用")
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = sessions_end(user=user, reason="账号被停用")
    record_event(actor=actor, event=events.ACCOUNT_DISABLE, target=user,
                 detail={"reason": reason.strip(), "sessions_ended": ended})
    return user


@transaction.atomic
def account_enable(*, actor, user, reason):
    _check(actor, Role.SYSADMIN, "启用账号")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "请填写启用原因"})
    user = _lock(user)
    if user.is_active:
        raise InvalidState("该账号已是启用状态")
    if not user.has_usable_password():
        # The system's own account (periodic jobs) records changes but never logs in.
        raise InvalidState("该账号没有可用的密码（系统自动任务账号），不能启用")
    person = getattr(user, "person", None)
    if person is not None and person.status != "on_post":
        # 离岗离职 revoked access on purpose (REG24 art. 53); the system administrator cannot undo it.
        raise InvalidState(f"该人员为“{person.get_status_display()}”，离岗离职取消的访问权限不能由系统管理员恢复")
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_event(actor=actor, event=events.ACCOUNT_ENABLE, target=user, detail={"reason": reason.strip()})
    return user


# The host operator has no account: the audit log names the role (actor_username) instead.
HOST_OPERATOR = "主机操作员"


class _HostOperator:
    is_authenticated = False
    username = HOST_OPERATOR


def _unlock(user):
    from axes.utils import reset

    from .auth import is_locked

    user = _lock(user)
    if not is_locked(user.get_username()):
        raise InvalidState("该账号未被锁定")
    # axes keeps only counters (the failed logins themselves are in the audit chain), so its
    # reset — which clears them — loses no record.
    reset(username=user.get_username())
    return user


@transaction.atomic
def account_unlock(*, actor, user):
    """The 安全保密管理员 unlocks an account locked by failed logins before its cool-off ends
    (SPEC §12)."""
    _check(actor, Role.SECURITY_ADMIN, "解锁账号")
    user = _unlock(user)
    record_event(actor=actor, event=events.UNLOCK, target=user, detail={"username": user.get_username()})
    return user


@transaction.atomic
def account_unlock_by_host_operator(*, user, command):
    """`manage.py unlock_account` on the server: the way back when the locked account is the
    安全保密管理员's own (or the only one), so nobody on screen can unlock it. Whoever has a shell on
    the host can do this anyway by hand; doing it through here at least leaves an audit event."""
    user = _unlock(user)
    record_event(actor=_HostOperator(), event=events.UNLOCK, target=user,
                 detail={"username": user.get_username(), "by": HOST_OPERATOR, "command": command})
    return user
