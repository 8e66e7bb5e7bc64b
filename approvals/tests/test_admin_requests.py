"""Requests in Django's admin: read-only and only those the user may open on the request page."""
import datetime as dt

from django.contrib.auth import get_user_model

from approvals import services as approval_services
from approvals.kinds import lend as lending
from documents.services import local_today


def staff(user):
    user = get_user_model().objects.get(pk=user.pk)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_the_request_admin_shows_only_openable_requests_and_changes_nothing(unit, register_carrier, client,
                                                                          admin_open_to_staff):
    mine = register_carrier(level=2, copy_number=1, title="业务一处会议纪要", scope_users=[unit.zhangsan])
    other = register_carrier(level=3, copy_number=2, title="某涉密项目请示", scope_users=[unit.lisi])
    asked = lending.loan_request_create(actor=unit.zhangsan, carrier=mine, reason="查阅",
                                                   due_date=local_today() + dt.timedelta(days=1))
    foreign = lending.loan_request_create(actor=unit.lisi, carrier=other, reason="查阅",
                                                     due_date=local_today() + dt.timedelta(days=1))
    zhangsan = staff(unit.zhangsan)
    admin_open_to_staff(zhangsan)
    listing = client.get("/admin/approvals/approvalrequest/").content.decode()
    assert f"/admin/approvals/approvalrequest/{asked.pk}/change/" in listing
    assert f"/admin/approvals/approvalrequest/{foreign.pk}/change/" not in listing
    page = client.get(f"/admin/approvals/approvalrequest/{asked.pk}/change/")
    assert page.status_code == 200 and mine.serial in page.content.decode()
    assert client.get(f"/admin/approvals/approvalrequest/{foreign.pk}/change/").status_code == 404
    assert client.get("/admin/approvals/approvalrequest/add/").status_code == 403
    client.post(f"/admin/approvals/approvalrequest/{asked.pk}/delete/", {"post": "yes"})
    client.post(f"/admin/approvals/approvalrequest/{asked.pk}/change/", {"reason": "改过的事由"})
    asked.refresh_from_db()
    assert asked.reason == "查阅"

    # The decider keeps the request after deciding, but a carrier they can no longer see shows
    # only as a count, never by serial or title.
    approval_services.request_decide(actor=unit.lingdao, request=foreign, approve=False, comment="不需要")
    lingdao = staff(unit.lingdao)
    client.force_login(lingdao)
    body = client.get(f"/admin/approvals/approvalrequest/{foreign.pk}/change/").content.decode()
    assert other.serial not in body and other.title not in body
    assert "另有 1 件您无权知悉" in body
