"""Forms of the 三员 screens (accounts and roles) and of the sign-in page. Like personnel/forms.py they only parse input:
what a username, a password or a reason must be is decided by the services
(personnel.services_accounts / personnel.services), whose refusals forms.apply_domain_error puts
next to the field they concern."""
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from secrecy.forms import SafeForm

from .forms import SectionedForm
from .models import Role


class AccountCreateForm(SectionedForm):
    sections = (("新账号", ("username", "full_name", "password", "password_confirm")),)

    username = forms.CharField(label="用户名", max_length=150, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(label="姓名", max_length=150, required=False,
                                help_text="涉密人员档案（部门、涉密等级等）由保密办另行建立。")
    password = forms.CharField(label="初始密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="至少 8 位，须同时包含字母和数字；机密级以上涉密人员至少 10 位。")
    password_confirm = forms.CharField(label="再次输入初始密码", required=False, strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        # A typing mistake in a password nobody can see would lock the new user out from the start;
        # only the confirmation is checked here, the rules themselves by the service.
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "两次输入的密码不一致")
        return data


class ReasonForm(SectionedForm):
    """停用 / 启用: the reason goes into the audit log; the service insists on it."""

    wide_fields = ("reason",)

    reason = forms.CharField(label="原因", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label="原因", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.sections = ((label, ("reason",)),)


class RoleForm(SafeForm):
    role = forms.ChoiceField(label="角色", choices=Role.choices)


class AccountSearchForm(SafeForm):
    q = forms.CharField(label="用户名或姓名", required=False, max_length=150)


class PasswordResetForm(SectionedForm):
    """The 系统管理员 sets a temporary password; the owner must change it at the next login. The
    rules and the confirmation are checked by services_accounts.account_password_reset, all at once."""

    sections = (("新密码", ("password", "password_confirm")),)

    password = forms.CharField(label="新密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="至少 8 位，须同时包含字母和数字；机密级以上涉密人员至少 10 位。")
    password_confirm = forms.CharField(label="再次输入新密码", required=False, strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PasswordChangeForm(SectionedForm):
    """修改密码: everything (current password, validators, history, confirmation) is checked by
    services_accounts.password_change in one pass."""

    sections = (("修改密码", ("old_password", "new_password", "new_password_confirm")),)

    old_password = forms.CharField(label="当前密码", required=False, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="新密码", required=False, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text="至少 8 位，须同时包含字母和数字；机密级以上涉密人员至少 10 位；"
                                             "不能与最近 5 次用过的密码相同。")
    new_password_confirm = forms.CharField(label="再次输入新密码", required=False, strip=False,
                                           widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, history_count=5, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = (
            f"至少 8 位，须同时包含字母和数字；机密级以上涉密人员至少 10 位；不能与最近 {history_count} 次用过的密码相同。")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
