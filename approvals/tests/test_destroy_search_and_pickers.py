"""Issue 14 §4: 组织销毁 that scales — candidates searched and paged with the selection on top, the
监销人 picker and service agreeing on who may witness, the 销毁人 a person or a named operator, the
销毁清单's signatures and closing line; and the people picker's pinyin keys."""
import datetime as dt
import io
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from approvals import services as svc
from approvals import views_destroy
from approvals.kinds import destroy
from approvals.models import ApprovalRequest, RequestKind, RequestState
from conftest import PASSWORD, make_user
from documents.models import CustodyStatus
from documents.services import local_today
from personnel.models import Leave, LeaveKind, Role
from personnel.widgets import person_search_text, pinyin_keys
from secrecy.errors import PolicyDenied

NEW = reverse("approvals:destroy_new")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def particulars(**extra):
    return {"reason": "超过保存期限，清理销毁", "method": "send", "place": "市保密局销毁中心",
            "destruction_body": "市涉密载体销毁中心",
            "planned_date": (local_today() + dt.timedelta(days=2)).isoformat(), **extra}


def test_pinyin_initials_and_department_find_a_person(unit):
    assert pinyin_keys("王武军") == ("wwj", "wangwujun")
    person = make_user("wwjun", department=unit.business, full_name="王武军")
    keys = person_search_text(person)
    assert "王武军" in keys and "wwj" in keys and "wangwujun" in keys and "业务一处" in keys
    assert "wwjun" not in keys  # people are found by name, never by login


def test_candidates_are_only_what_the_registrar_may_destroy_paged_with_the_selection_on_top(
        client, unit, register_carrier, monkeypatch):
    monkeypatch.setattr(views_destroy, "CANDIDATE_PAGE_SIZE", 2)
    mine = [register_carrier(level=2, title=f"待销毁文件{n}", copy_number=n + 1) for n in range(4)]
    lent = register_carrier(level=2, title="借出中的文件", copy_number=9, scope_users=[unit.lisi])
    from approvals.kinds import lend
    lend.loan_request_create(actor=unit.lisi, carrier=lent, due_date=local_today() + dt.timedelta(days=3),
                             reason="参阅")
    login(client, unit.mishu)
    first = client.get(NEW)
    rows = [c.pk for c in first.context["candidates"]]
    assert rows == [mine[3].pk, mine[2].pk] and first.context["page"]["has_older"]
    assert first.context["found"] == 4  # the one with an open request is no candidate
    # Pick one on page 1, go to page 2: it stays selected on top and leaves the candidate list.
    # Exactly what 下一页 posts (it names no action), with the particulars filled in: a page, not a batch.
    second = client.post(NEW, {"carriers": [mine[3].pk], "after": first.context["page"]["older_cursor"],
                               "reason": "超过保存期限", "method": "send", "place": "市保密局销毁中心",
                               "destruction_body": "市涉密载体销毁中心", "witnesses": [unit.baomi.pk, unit.lingdao.pk],
                               "planned_date": (local_today() + dt.timedelta(days=2)).isoformat()})
    assert not ApprovalRequest.objects.filter(kind=RequestKind.DESTROY).exists(), "paging never submits"
    assert [c.pk for c in second.context["selected"]] == [mine[3].pk]
    assert [c.pk for c in second.context["candidates"]] == [mine[1].pk, mine[0].pk]
    html = second.content.decode()
    assert html.index('id="destroy-selected"') < html.index('id="destroy-particulars"') < html.index(
        'id="destroy-candidates"')
    # A search by title; a scanned 统一编号 joins the selection at once.
    found = client.post(NEW, {"carriers": [mine[3].pk], "action": "search", "q": "待销毁文件1"})
    assert [c.pk for c in found.context["candidates"]] == [mine[1].pk]
    scanned = client.post(NEW, {"carriers": [mine[3].pk], "action": "search", "q": mine[0].serial})
    assert {c.pk for c in scanned.context["selected"]} == {mine[3].pk, mine[0].pk}
    # Forged ids (a carrier in an open request, one of no one) never join the selection.
    forged = client.post(NEW, {"carriers": [mine[3].pk, lent.pk, 987654], "action": "search"})
    assert [c.pk for c in forged.context["selected"]] == [mine[3].pk]
    assert "已不能列入销毁" in forged.content.decode()
    # Someone who may not build a batch gets 404.
    login(client, unit.lisi)
    assert client.get(NEW).status_code == 404


def test_errors_are_shown_at_their_fields_all_at_once_and_nothing_is_created(client, unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=1)
    login(client, unit.mishu)
    response = client.post(NEW, {"carriers": [carrier.pk], "action": "submit", "method": "send",
                                 "witnesses": [unit.baomi.pk]})
    html = response.content.decode()
    for field in ("reason", "place", "destruction_body", "planned_date", "witnesses"):
        assert f'id="errors-{field}"' in html, field
    assert not ApprovalRequest.objects.exists()
    assert [c.pk for c in response.context["selected"]] == [carrier.pk]


def test_the_witness_picker_offers_only_eligible_people_and_the_service_refuses_the_others(
        client, unit, register_carrier):
    leaving = make_user("qianqi", department=unit.business, roles=[Role.READER], person_class="important",
                        full_name="钱琪")
    Leave.objects.create(person=leaving.person, kind=LeaveKind.LEAVE_POST, reason="调岗",
                         planned_on=local_today(), created_by=unit.baomi)
    uncleared = make_user("wangwujun", department=unit.business, roles=[Role.READER], full_name="王武军")
    carrier = register_carrier(level=2, copy_number=1)
    login(client, unit.mishu)
    response = client.post(NEW, {"carriers": [carrier.pk], "action": "search"})
    offered = set(response.context["form"].fields["witnesses"].queryset.values_list("pk", flat=True))
    assert {unit.baomi.pk, unit.lisi.pk, unit.lingdao.pk} <= offered
    assert not offered & {leaving.pk, uncleared.pk, unit.mishu.pk, unit.wangwu.pk, unit.secadmin.pk}
    html = response.content.decode()
    assert f'value="{leaving.pk}"' not in html and 'data-people-picker="multiple"' in html

    batch = destroy.destruction_batch_create(
        actor=unit.mishu, carriers=[carrier], reason="到期", method="send", place="销毁中心",
        destruction_body="销毁中心", planned_date=local_today() + dt.timedelta(days=1), submit=True)
    for person, words in ((leaving, "离岗办理中"), (uncleared, "涉密等级低于"), (unit.mishu, "申请人不能担任")):
        with pytest.raises(PolicyDenied) as refused:
            destroy.destruction_witnesses_set(actor=unit.mishu, request=batch, witnesses=[unit.baomi, person])
        assert words in refused.value.message
    # Through the screen, the refusal of someone not offered reads at the field.
    response = client.post(reverse("approvals:destroy_designate", args=[batch.pk]),
                           {"witnesses": [unit.baomi.pk, leaving.pk]})
    assert response.status_code == 200 and 'id="errors-witnesses"' in response.content.decode()
    assert not batch.witnesses.exists()


@pytest.fixture
def witnessed(unit, register_carrier):
    carriers = [register_carrier(level=2, copy_number=n + 1, title=f"到期文件{n}") for n in range(2)]
    batch = destroy.destruction_batch_create(
        actor=unit.mishu, carriers=carriers, reason="到期", method="send", place="市销毁中心",
        destruction_body="市涉密载体销毁中心", planned_date=local_today(), witnesses=[unit.baomi, unit.lisi],
        submit=True)
    batch = svc.request_decide(actor=unit.zhuren, request=batch, approve=True, comment="同意")
    destroy.destruction_witness_confirm(actor=unit.baomi, request=batch)
    destroy.destruction_witness_confirm(actor=unit.lisi, request=batch)
    return batch


def test_the_destroyer_is_a_person_or_a_named_operator_never_a_description(client, unit, witnessed):
    url = reverse("approvals:destroy_execute", args=[witnessed.pk])
    login(client, unit.mishu)
    today = local_today().isoformat()
    response = client.post(url, {"executed_on": today, "destroyed_by": "按规定粉碎销毁"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="errors-destroyed_by"' in html and "请从本单位人员中选择销毁人" in html
    response = client.post(url, {"executed_on": today, "destroyed_by_name": "按规定粉碎销毁"})
    html = response.content.decode()
    assert 'id="errors-destroyed_by_name"' in html and "不是人员姓名" in html
    witnessed.refresh_from_db()
    assert witnessed.state == RequestState.APPROVED
    # The 承销单位's operator by name (送销), recorded with the unit.
    client.post(url, {"executed_on": today, "destroyed_by_name": "杨建明"})
    witnessed.refresh_from_db()
    detail = witnessed.destruction
    assert witnessed.state == RequestState.COMPLETED
    assert (detail.destroyer, detail.destroyed_by_id, detail.destroyed_by_name) == ("operator", None, "杨建明")
    assert all(i.carrier.custody_status == CustodyStatus.DESTROYED for i in witnessed.items.all())


def test_self_destruction_needs_a_person_of_the_unit(unit, register_carrier):
    carrier = register_carrier(level=2, copy_number=1)
    batch = destroy.destruction_batch_create(
        actor=unit.mishu, carriers=[carrier], reason="到期", method="shred", place="机要室",
        planned_date=local_today(), witnesses=[unit.baomi, unit.lisi], submit=True)
    batch = svc.request_decide(actor=unit.zhuren, request=batch, approve=True, comment="同意")
    for witness in (unit.baomi, unit.lisi):
        destroy.destruction_witness_confirm(actor=witness, request=batch)
    from secrecy.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as refused:
        destroy.destruction_execute(actor=unit.mishu, request=batch, destroyed_by_name="张师傅")
    assert "本单位人员" in str(refused.value.field_errors["destroyed_by"])
    with pytest.raises(ValidationFailed) as refused:
        destroy.destruction_execute(actor=unit.mishu, request=batch, destroyed_by=unit.wangwu)
    assert "涉密等级低于" in str(refused.value.field_errors["destroyed_by"])
    done = destroy.destruction_execute(actor=unit.mishu, request=batch, destroyed_by=unit.lisi)
    assert (done.destruction.destroyer, done.destruction.destroyed_by_id) == ("person", unit.lisi.pk)


def test_the_destruction_list_prints_names_times_room_to_sign_and_its_count(client, unit, witnessed):
    destroy.destruction_execute(actor=unit.mishu, request=witnessed, destroyed_by=unit.mishu)
    login(client, unit.baomi)
    response = client.post(reverse("approvals:destroy_list_file", args=[witnessed.pk, "pdf"]))
    assert response.status_code == 200
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "destruction_list.pdf").write_bytes(response.content)  # for a person to look at
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    assert "本清单共2项" in flat and "本登记簿" not in flat
    confirmed = {w.user.username: w.confirmed_at for w in witnessed.witnesses.select_related("user")}
    for name in ("baomi", "lisi"):
        stamp = confirmed[name].astimezone().strftime("%Y-%m-%d")
        assert f"监销人{name}（系统确认{stamp}" in flat
    assert f"销毁人mishu（记录销毁于{local_today():%Y-%m-%d}）（签字）：" in flat
    assert flat.count("（签字）：") >= 5  # 申请人, 批准人, 销毁人 and both 监销人 sign by hand


def test_an_ordered_picker_shown_again_keeps_the_order_people_were_picked_in(unit):
    """传阅 readers are served one after another: after an error the picker lists the chosen people
    in the order posted, not the form's (department, name) order, so a resubmission keeps it."""
    import re

    from django import forms
    from django.contrib.auth import get_user_model

    from personnel.widgets import PeoplePicker

    people = get_user_model().objects.filter(pk__in=[unit.lisi.pk, unit.baomi.pk, unit.lingdao.pk])

    class Readers(forms.Form):
        readers = forms.ModelMultipleChoiceField(queryset=people.order_by("pk"), widget=PeoplePicker(ordered=True))

    posted = [unit.lingdao.pk, unit.lisi.pk, unit.baomi.pk]
    html = str(Readers(data={"readers": [str(pk) for pk in posted]})["readers"])
    assert [int(v) for v in re.findall(r'value="(\d+)"', html)] == posted
