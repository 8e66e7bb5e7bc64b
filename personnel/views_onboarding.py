"""待建档 (issue 14 §7): the accounts the 系统管理员 created that have no 涉密人员 record yet, and the
page on which the 保密办 creates one. To anyone but the 保密办 both pages do not exist (404): the
三员 keep accounts and roles, never 涉密人员 records (SPEC §1), and readers see no one's record.
"""
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from secrecy.errors import NotVisible

from . import forms, services_onboarding
from .models import Role
from .policy import may_manage_personnel
from .selectors import account_awaiting_record_get, accounts_awaiting_record
from .views import PAGE_LEVEL, _form_page


def _require_office(request):
    if not may_manage_personnel(request.user):
        raise Http404()


@login_required
@require_GET
def awaiting_list(request):
    _require_office(request)
    accounts = list(accounts_awaiting_record(user=request.user).prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=Role.values), to_attr="role_groups"))
        .order_by("-date_joined", "-id")[:200])
    for account in accounts:
        account.role_labels = [Role(group.name).label for group in account.role_groups]
    return render(request, "personnel/onboarding.html", {"accounts": accounts, "page_level": PAGE_LEVEL})


@login_required
def onboard(request, pk):
    _require_office(request)
    try:
        account = account_awaiting_record_get(user=request.user, pk=pk)
    except NotVisible:
        raise Http404() from None
    if request.method == "POST":
        form = forms.OnboardForm(request.POST)
    else:
        form = forms.OnboardForm(initial={"full_name": account.first_name})
    subject = (f"新账号：{account.get_full_name() or '（未填姓名）'}，"
               f"创建于 {timezone.localtime(account.date_joined):%Y-%m-%d}")
    return _form_page(
        request, form=form, heading="建立涉密人员档案", subject=subject,
        call=lambda data: services_onboarding.person_onboard(actor=request.user, user=account,
                                                             **form.service_data()),
        success="涉密人员档案已建立", done_url=lambda person: reverse("personnel:detail", args=[person.pk]),
        back_url=reverse("personnel:onboarding"), submit_label="建立档案",
        notes=["涉密人员类别、上岗前保密审查和保密承诺书决定本人可知悉的最高密级，建立后立即生效。",
               "角色（机要秘书、领导、涉密人员等）由安全保密管理员授予；本页只建立涉密人员档案。"])
