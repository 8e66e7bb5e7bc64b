"""The 三员分立 screens (SPEC §1, §12; issue 6).

系统管理员: the accounts — list, create, disable, enable — and a read-only view of the non-security
settings in effect. 安全保密管理员: roles (grant / revoke) and unlocking accounts locked by failed
logins; clearance fields stay on the 涉密人员 record page (personnel:edit). 安全审计员 changes
nothing and has no page here. None of these pages shows a carrier.

Each page answers 404 (never 403) to anyone without its role: an administration screen one may
not use does not exist for them. Views are thin — parse, call one service, render — and a
refusal (DomainError) is shown next to its field or at the top with nothing changed; the service
checks the role again, so the page rule is not the only guard.
"""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from secrecy.errors import DomainError
from secrecy.levels import Level

from . import forms_accounts, services, services_accounts
from .forms import apply_domain_error
from .models import ADMIN_ROLES, Role
from .policy import has_role, person_of

# Names, departments and roles of staff are 工作秘密, like the 涉密人员 screens: the banner says 内部.
PAGE_LEVEL = int(Level.WORK)
PAGE_SIZE = 50


def _require(request, role):
    if not has_role(request.user, role):
        raise Http404()


def locked_usernames(usernames):
    """Which of these usernames are locked by failed logins (personnel.auth.is_locked for a page
    of accounts at once: one query)."""
    from .auth import locked_usernames_query

    return set(locked_usernames_query().filter(username__in=list(usernames)).values_list("username", flat=True))


def locked_accounts():
    """Accounts locked by failed logins (still inside the cool-off). Axes also counts failures for
    usernames that do not exist (someone guessing); those are no account and nothing to unlock."""
    from .auth import locked_usernames_query

    return get_user_model().objects.filter(username__in=locked_usernames_query())


def _accounts(request):
    """Accounts with what both administrators' lists show, searched by username or 姓名, paged.
    Roles and 涉密人员 records are fetched for the page at once, not per row."""
    search = forms_accounts.AccountSearchForm(request.GET or None)
    accounts = get_user_model().objects.select_related("person", "person__department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=Role.values), to_attr="role_groups"))
    term = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if term:
        accounts = accounts.filter(Q(username__icontains=term) | Q(first_name__icontains=term)
                                   | Q(person__full_name__icontains=term))
    page = Paginator(accounts.order_by("username"), PAGE_SIZE).get_page(request.GET.get("page"))
    locked = locked_usernames(a.username for a in page.object_list)
    order = {value: i for i, value in enumerate(Role.values)}
    for account in page.object_list:
        account.display_name = _name(account)
        account.role_labels = [Role(g.name).label for g in sorted(account.role_groups, key=lambda g: order[g.name])]
        account.is_locked = account.username in locked
    query = request.GET.copy()
    query.pop("page", None)
    return {"search": search, "page": page, "accounts": page.object_list, "query": query.urlencode(),
            "page_level": PAGE_LEVEL}


def _name(account):
    person = person_of(account)
    return (person.full_name if person else "") or account.first_name or ""


def _account_or_404(pk):
    return get_object_or_404(get_user_model().objects.select_related("person", "person__department"), pk=pk)


def _form_page(request, *, form, heading, call, success, back_url, subject="", notes=(), submit_label="提交"):
    """GET shows the form; POST calls the one service. A refusal re-renders the form with the
    errors in place and nothing changed."""
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect(back_url)
    elif request.method == "POST":
        form.add_error(None, "输入有误，请检查标红的字段")
    return render(request, "accounts/form.html", {
        "form": form, "heading": heading, "subject": subject, "notes": list(notes), "back_url": back_url,
        "submit_label": submit_label, "page_level": PAGE_LEVEL,
    })


# ------------------------------------------------------------------------------ 系统管理员


@login_required
@require_GET
def account_list(request):
    _require(request, Role.SYSADMIN)
    return render(request, "accounts/list.html", _accounts(request))


@login_required
def account_create(request):
    _require(request, Role.SYSADMIN)
    form = forms_accounts.AccountCreateForm(request.POST if request.method == "POST" else None)
    return _form_page(
        request, form=form, heading="新建账号", submit_label="创建",
        call=lambda data: services_accounts.account_create(
            actor=request.user, username=data["username"], password=data["password"], full_name=data["full_name"]),
        success="账号已创建", back_url=reverse("accounts:list"),
        notes=["新账号没有任何角色；角色由安全保密管理员授予，涉密人员档案由保密办建立。",
               "请通过线下方式将初始密码交给本人。"])


@login_required
def account_disable(request, pk):
    _require(request, Role.SYSADMIN)
    account = _account_or_404(pk)
    form = forms_accounts.ReasonForm(request.POST if request.method == "POST" else None, label="停用原因")
    return _form_page(
        request, form=form, heading="停用账号", subject=f"{account.username} {_name(account)}", submit_label="停用",
        call=lambda data: services_accounts.account_disable(actor=request.user, user=account, reason=data["reason"]),
        success=f"账号 {account.username} 已停用，其登录会话已全部结束", back_url=reverse("accounts:list"),
        notes=["停用后该账号立即退出登录，不能再登录；停用原因记入审计日志。"])


@login_required
def account_enable(request, pk):
    _require(request, Role.SYSADMIN)
    account = _account_or_404(pk)
    form = forms_accounts.ReasonForm(request.POST if request.method == "POST" else None, label="启用原因")
    return _form_page(
        request, form=form, heading="启用账号", subject=f"{account.username} {_name(account)}", submit_label="启用",
        call=lambda data: services_accounts.account_enable(actor=request.user, user=account, reason=data["reason"]),
        success=f"账号 {account.username} 已启用", back_url=reverse("accounts:list"),
        notes=["因离岗离职停用的账号不能由系统管理员启用。", "启用原因记入审计日志。"])


@login_required
def account_password_reset(request, pk):
    _require(request, Role.SYSADMIN)
    account = _account_or_404(pk)
    form = forms_accounts.PasswordResetForm(request.POST if request.method == "POST" else None)
    return _form_page(
        request, form=form, heading="重置密码", subject=f"{account.username} {_name(account)}", submit_label="重置",
        call=lambda data: services_accounts.account_password_reset(
            actor=request.user, user=account, password=data["password"], confirm=data["password_confirm"]),
        success=f"{_name(account) or account.username} 的密码已重置，其登录会话已全部结束",
        back_url=reverse("accounts:list"),
        notes=["用于本人忘记密码时。重置后该账号立即退出登录，下次登录须先修改密码。",
               "请通过线下方式将新密码交给本人；重置记入审计日志（不含密码）。"])


# ------------------------------------------------------------------------------ every user


@login_required
def password_change(request):
    """修改密码, for every signed-in user; the only page open while a change is required
    (personnel.middleware.PasswordChangeRequiredMiddleware)."""
    from django.contrib.auth import update_session_auth_hash

    count = settings.SECRECY["PASSWORD_HISTORY_COUNT"]
    forced = services_accounts.must_change_password(request.user)
    form = forms_accounts.PasswordChangeForm(request.POST if request.method == "POST" else None, history_count=count)
    if request.method == "POST" and form.is_valid():
        try:
            user = services_accounts.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                                     new_password=form.cleaned_data["new_password"],
                                                     confirm=form.cleaned_data["new_password_confirm"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            # The session stays valid with the new password; other sessions of the account end
            # (Django checks each session against the password hash).
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改")
            return redirect("home")
    elif request.method == "POST":
        form.add_error(None, "输入有误，请检查标红的字段")
    notes = [f"新密码不能与最近 {count} 次用过的密码相同。", "修改记入审计日志（不含密码）。"]
    if forced:
        notes.insert(0, "您的账号为新建账号或密码已被系统管理员重置，须先修改密码才能继续使用系统。")
    return render(request, "accounts/form.html", {
        "form": form, "heading": "修改密码", "subject": "", "notes": notes,
        "back_url": reverse("home"), "submit_label": "修改", "page_level": None, "forced": forced,
    })


@login_required
@require_GET
def settings_view(request):
    """What the 系统管理员 may look after besides accounts. Read-only on purpose: settings come from
    SECRECY_* environment variables (SPEC §13) so every process (web, workers, beat) reads the
    same values at start; a copy in the database would let them drift apart."""
    _require(request, Role.SYSADMIN)
    secrecy = settings.SECRECY
    rows = [
        ("单位名称", secrecy.get("UNIT_NAME", ""), "SECRECY_UNIT_NAME"),
        ("系统访问地址（邮件中的链接）", secrecy.get("BASE_URL", ""), "SECRECY_BASE_URL"),
        ("每日提醒时间", f"{settings.SECRECY_REMINDER_HOUR} 点", "SECRECY_REMINDER_HOUR"),
        ("定时任务每批扫描行数", secrecy.get("JOB_BATCH_SIZE", ""), "SECRECY_JOB_BATCH_SIZE"),
        ("邮件后端", settings.EMAIL_BACKEND, "SECRECY_EMAIL_BACKEND"),
    ]
    return render(request, "accounts/settings.html", {"rows": rows, "page_level": PAGE_LEVEL})


# ------------------------------------------------------------------------------ 安全保密管理员


@login_required
@require_GET
def role_list(request):
    _require(request, Role.SECURITY_ADMIN)
    return render(request, "accounts/roles.html", _accounts(request))


def _role_page(request, account, *, error=None, status=200):
    held = set(account.groups.filter(name__in=Role.values).values_list("name", flat=True))
    person = person_of(account)
    return render(request, "accounts/role_detail.html", {
        "account": account, "display_name": _name(account), "person": person,
        "roles": [(role, role.label, role.value in held, role in ADMIN_ROLES) for role in Role],
        "is_locked": account.username in locked_usernames([account.username]),
        "own": account.pk == request.user.pk, "error": error, "page_level": PAGE_LEVEL,
    }, status=status)


@login_required
@require_GET
def role_detail(request, pk):
    _require(request, Role.SECURITY_ADMIN)
    return _role_page(request, _account_or_404(pk))


def _role_change(request, pk, *, service, success):
    _require(request, Role.SECURITY_ADMIN)
    account = _account_or_404(pk)
    form = forms_accounts.RoleForm(request.POST)
    if not form.is_valid():
        return _role_page(request, account, error="未知角色", status=400)
    role = Role(form.cleaned_data["role"])
    try:
        service(actor=request.user, user=account, role=role)
    except DomainError as error:
        # The page again with the refusal at the top (e.g. 三员分立), not a redirect: nothing changed.
        return _role_page(request, account, error=error.message)
    messages.success(request, success.format(role=role.label, username=account.username))
    return redirect("accounts:role_detail", pk=account.pk)


@login_required
@require_POST
def role_grant(request, pk):
    return _role_change(request, pk, service=services.role_grant, success="已授予 {username}「{role}」角色")


@login_required
@require_POST
def role_revoke(request, pk):
    return _role_change(request, pk, service=services.role_revoke, success="已撤销 {username} 的「{role}」角色")


@login_required
@require_GET
def locked_list(request):
    _require(request, Role.SECURITY_ADMIN)
    accounts = (locked_accounts().select_related("person", "person__department").order_by("username"))
    from django.utils import timezone

    from .auth import lock_remaining

    accounts = list(accounts)
    for account in accounts:
        account.display_name = _name(account)
        # A handful of rows at most: one small query each for when the cool-off ends.
        remaining = lock_remaining(account.username)
        account.unlocks_at = timezone.now() + remaining if remaining is not None else None
    return render(request, "accounts/locked.html", {
        "accounts": accounts, "page_level": PAGE_LEVEL,
        "cooloff_minutes": settings.SECRECY_LOCKOUT_COOLOFF_MINUTES})


@login_required
@require_POST
def account_unlock(request, pk):
    _require(request, Role.SECURITY_ADMIN)
    account = _account_or_404(pk)
    try:
        services_accounts.account_unlock(actor=request.user, user=account)
    except DomainError as error:
        messages.error(request, f"{account.username}：{error.message}")
    else:
        messages.success(request, f"账号 {account.username} 已解锁")
    if request.POST.get("back") == "detail":
        return redirect("accounts:role_detail", pk=account.pk)
    return redirect("accounts:locked")
