"""Issue 11 §2: an incident never shows a carrier to someone who may not see it."""
import datetime as dt

from django.utils import timezone

from documents.services_disposal import carrier_report_lost
from oversight.models import Incident, IncidentKind
from oversight.services import incidents
from secrecy.levels import Level

NOTE = "机要室保密柜清点时未找到"


def _page(client, user, incident):
    client.force_login(user)
    response = client.get(incident.get_absolute_url())
    return response.status_code, response.content.decode()


def test_a_guessed_serial_never_shows_the_real_carrier_to_its_reporter(client, unit, register_carrier):
    carrier = register_carrier(level=4, title="绝密规划", copy_number=1)
    guessed = incidents.incident_report(
        actor=unit.wangwu, kind=IncidentKind.LOSS, level=Level.CONFIDENTIAL, place="走廊",
        discovered_at=timezone.now() - dt.timedelta(hours=1), description="捡到一张纸", serials=[carrier.serial])
    carrier_report_lost(actor=unit.mishu, carrier=carrier, note=NOTE)

    status, html = _page(client, unit.wangwu, guessed)
    assert status == 200
    assert "绝密" not in html and NOTE not in html and "绝密规划" not in html
    assert guessed.carriers.get().carrier_id is None
    # The carrier went into an incident of its own, which wangwu cannot open.
    own = Incident.objects.get(from_carrier_loss=True)
    assert own.pk != guessed.pk
    assert _page(client, unit.wangwu, own)[0] == 404


def test_the_secrecy_office_sees_the_incident_but_not_a_carrier_outside_her_scope(client, unit, register_carrier):
    carrier = register_carrier(level=4, title="绝密规划", copy_number=1)
    carrier_report_lost(actor=unit.mishu, carrier=carrier, note=NOTE)
    incident = Incident.objects.get(from_carrier_loss=True)

    client.force_login(unit.baomi)
    assert client.get(carrier.get_absolute_url()).status_code == 404
    status, html = _page(client, unit.baomi, incident)
    assert status == 200
    assert "1 件载体（无权查看详情）" in html
    assert carrier.serial not in html and NOTE not in html and "绝密规划" not in html

    # mishu reported it and may see the carrier: serial, level and note.
    status, html = _page(client, unit.mishu, incident)
    assert status == 200
    assert carrier.serial in html and "绝密" in html and NOTE in html
    assert "无权查看详情" not in html
