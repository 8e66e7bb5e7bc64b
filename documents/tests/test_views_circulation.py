"""传阅 through the screens: the registrar starts it from the carrier page, hands the carrier on and
takes it back; the reader signs from 待阅签; outsiders get 404 everywhere."""
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from conftest import PASSWORD
from documents import services_circulation as circ
from documents.models import Circulation, CirculationState, CustodyStatus


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def messages_text(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.fixture
def carrier(unit, register_carrier):
    return register_carrier(level=3, title="年度保密工作要点", scope_users=[unit.lingdao, unit.lisi, unit.baomi])


def test_the_whole_round_through_the_screens(client, unit, carrier):
    login(client, unit.mishu)
    page = client.get(carrier.get_absolute_url()).content.decode()
    assert 'id="circulation-panel"' in page and reverse("circulation:start", args=[carrier.pk]) in page

    # The picker posts the readers in the order they were picked: lisi first, then lingdao.
    response = client.post(reverse("circulation:start", args=[carrier.pk]),
                           {"readers": [unit.lisi.pk, unit.lingdao.pk], "note": "请阅"}, follow=True)
    circulation = Circulation.objects.get()
    assert response.redirect_chain[-1][0] == circulation.get_absolute_url()
    assert 'id="hand-next"' in response.content.decode()

    client.post(reverse("circulation:hand", args=[circulation.pk]))
    carrier.refresh_from_db()
    assert (carrier.custody_status, carrier.custodian) == (CustodyStatus.CIRCULATING, unit.lisi)

    # The reader sees it waiting and signs it.
    login(client, unit.lisi)
    mine = client.get(reverse("circulation:mine")).content.decode()
    assert circulation.reference in mine and "年度保密工作要点" in mine and "待阅签" in mine
    detail = client.get(circulation.get_absolute_url()).content.decode()
    assert 'id="sign-panel"' in detail and 'id="registrar-panel"' not in detail
    response = client.post(reverse("circulation:sign", args=[circulation.pk]), {"comment": "已阅"}, follow=True)
    assert "已阅签" in messages_text(response)

    # The next reader cannot sign before the registry hands it to them.
    login(client, unit.lingdao)
    assert 'id="sign-panel"' not in client.get(circulation.get_absolute_url()).content.decode()
    response = client.post(reverse("circulation:sign", args=[circulation.pk]), {"comment": "抢先"}, follow=True)
    assert "尚未送达" in messages_text(response)
    assert circulation.steps.get(order=2).signed_at is None

    login(client, unit.mishu)
    # Handing on while lisi holds it is refused with the reason.
    response = client.post(reverse("circulation:hand", args=[circulation.pk]), follow=True)
    assert "不得横传" in messages_text(response)
    client.post(reverse("circulation:take_back", args=[circulation.pk]))
    client.post(reverse("circulation:hand", args=[circulation.pk]))
    login(client, unit.lingdao)
    client.post(reverse("circulation:sign", args=[circulation.pk]), {"comment": "同意", "next": "mine"})
    login(client, unit.mishu)
    client.post(reverse("circulation:take_back", args=[circulation.pk]))
    circulation.refresh_from_db()
    assert circulation.state == CirculationState.COMPLETED

    response = client.post(reverse("circulation:slip", args=[circulation.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).replace("\n", "")
    assert "lisi" in text and "lingdao" in text and "已阅" in text and "同意" in text


def test_a_refused_reader_is_named_on_the_form_and_nothing_starts(client, unit, carrier):
    login(client, unit.mishu)
    page = client.get(reverse("circulation:start", args=[carrier.pk])).content.decode()
    # The picker offers only people cleared for the 机密 carrier: wangwu (uncleared) is not there.
    assert 'data-people-picker="multiple"' in page and f'value="{unit.lisi.pk}"' in page
    assert f'value="{unit.wangwu.pk}"' not in page
    response = client.post(reverse("circulation:start", args=[carrier.pk]), {"readers": [unit.lisi.pk, unit.wangwu.pk]})
    assert response.status_code == 200 and 'id="errors-readers"' in response.content.decode()
    # Cleared but outside the 知悉范围: the service names the person at the field.
    response = client.post(reverse("circulation:start", args=[carrier.pk]), {"readers": [unit.lisi.pk, unit.zhuren.pk]})
    html = response.content.decode()
    assert response.status_code == 200 and "无权知悉" in html
    assert not Circulation.objects.exists()


def test_outsiders_get_404_on_every_circulation_page(client, unit, carrier):
    circulation = circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi])
    circ.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    pages = [
        ("get", reverse("circulation:detail", args=[circulation.pk])),
        ("post", reverse("circulation:slip", args=[circulation.pk, "pdf"])),
        ("post", reverse("circulation:slip", args=[circulation.pk, "xlsx"])),
        ("post", reverse("circulation:sign", args=[circulation.pk])),
        ("post", reverse("circulation:hand", args=[circulation.pk])),
        ("post", reverse("circulation:take_back", args=[circulation.pk])),
        ("post", reverse("circulation:cancel", args=[circulation.pk])),
    ]
    # baomi may see the carrier but is not a reader; zhangsan may not see it; admins see nothing.
    for outsider in (unit.baomi, unit.zhangsan, unit.wangwu, unit.auditor):
        login(client, outsider)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 404, (outsider.username, url)
        assert client.get(reverse("circulation:start", args=[carrier.pk])).status_code == 404
        assert circulation.reference not in client.get(reverse("circulation:mine")).content.decode()
    # A reader may not start one either.
    login(client, unit.lisi)
    assert client.get(reverse("circulation:start", args=[carrier.pk])).status_code == 404
    carrier.refresh_from_db()
    assert carrier.custodian == unit.lisi


def test_the_carrier_page_panel_follows_the_state(client, unit, carrier):
    login(client, unit.mishu)
    circulation = circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi, unit.lingdao])
    page = client.get(carrier.get_absolute_url()).content.decode()
    assert circulation.reference in page and 'id="start-circulation"' not in page
    assert re.search(r'id="step-2"', page)
    # A reader of the circulation sees it on the carrier page; a reader without sight does not.
    login(client, unit.lisi)
    assert circulation.reference in client.get(carrier.get_absolute_url()).content.decode()
    login(client, unit.baomi)
    page = client.get(carrier.get_absolute_url()).content.decode()
    assert circulation.reference not in page and 'id="circulation-panel"' not in page


def test_the_reader_sees_the_carrier_waiting_for_their_signature_in_the_nav(client, unit, register_carrier):
    import re

    from documents import services_circulation

    carrier = register_carrier(level=2, copy_number=1, scope_users=[unit.lisi])
    circulation = services_circulation.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi])
    client.force_login(unit.lisi)
    assert 'id="nav-circulation"' not in client.get("/").content.decode(), "not handed yet"
    services_circulation.circulation_hand_to_next(actor=unit.mishu, circulation=circulation)
    html = client.get("/").content.decode()
    assert re.search(r'id="nav-circulation"[^>]*>待阅签<span class="nav-count"[^>]*>1</span>', html)
    services_circulation.circulation_sign(actor=unit.lisi, circulation=circulation)
    assert 'id="nav-circulation"' not in client.get("/").content.decode()


def test_printing_the_slip_is_a_post_and_a_get_prints_nothing(client, unit, carrier):
    """register.print is an audited action: a link or image elsewhere must not add print events
    in the reader's name, so a GET is refused (405) and records nothing."""
    from audits.models import AuditEvent

    circulation = circ.circulation_start(actor=unit.mishu, carrier=carrier, readers=[unit.lisi])
    login(client, unit.mishu)
    url = reverse("circulation:slip", args=[circulation.pk, "pdf"])
    assert f'action="{url}"' in client.get(circulation.get_absolute_url()).content.decode()
    assert client.get(url).status_code == 405
    assert not AuditEvent.objects.filter(action="register.print").exists()
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="register.print", actor=unit.mishu).count() == 1


def test_readers_are_served_in_the_order_they_were_picked(client, unit, carrier):
    # The people picker posts the readers in picking order: lingdao first, though listed after lisi.
    login(client, unit.mishu)
    client.post(reverse("circulation:start", args=[carrier.pk]), {"readers": [unit.lingdao.pk, unit.lisi.pk]})
    steps = Circulation.objects.get().steps.order_by("order")
    assert [s.reader_id for s in steps] == [unit.lingdao.pk, unit.lisi.pk]
