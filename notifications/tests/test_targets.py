"""A notice names a carrier only to who may see it — when the notice is read (issue 11 §7); the
three administrators are never sent one."""
from django.urls import reverse

from documents import services as carrier_services
from notifications import services
from notifications.models import Notification
from notifications.targets import REDACTED_TITLE
from notifications.tests.test_views import INBOX, badge


def carrier_notice(carrier, recipients):
    services.notify(recipients, kind="reclassified", title=f"载体提前解密：{carrier.serial}",
                    body=f"统一编号 {carrier.serial} 的载体标志由“机密★10年”变更为“解密”",
                    link=carrier.get_absolute_url(), level=carrier.level, target=carrier)


def test_the_three_administrators_are_sent_no_carrier_notice(unit, register_carrier):
    carrier = register_carrier(level=2, scope_users=[unit.lisi], scope_groups=[unit.office.group])
    carrier_notice(carrier, [unit.lisi, unit.sysadmin, unit.secadmin, unit.auditor])
    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["lisi"]
    # Notices about nothing in particular still reach them.
    services.notify([unit.sysadmin], kind="reminder", title="请修改密码")
    assert Notification.objects.filter(recipient=unit.sysadmin).count() == 1


def test_a_notice_about_a_carrier_the_reader_may_no_longer_see_hides_it_but_still_counts(
        client, unit, register_carrier):
    carrier = register_carrier(level=2, scope_users=[unit.lisi])
    carrier_notice(carrier, [unit.lisi])
    client.force_login(unit.lisi)
    html = client.get(INBOX).content.decode()
    assert carrier.serial in html and carrier.get_absolute_url() in html and REDACTED_TITLE not in html

    carrier_services.carrier_scope_revoke(actor=unit.mishu, carrier=carrier, reason="调整知悉范围",
                                          user_id=unit.lisi.pk)
    html = client.get(INBOX).content.decode()
    assert carrier.serial not in html and carrier.get_absolute_url() not in html
    assert REDACTED_TITLE in html and "机密" not in html
    # Listed and counted as what it is: one unread notice, which can be marked read.
    assert badge(client, unit.lisi) == "1"
    notice = Notification.objects.get(recipient=unit.lisi)
    client.force_login(unit.lisi)
    client.post(reverse("notifications:mark_read", args=[notice.pk]))
    assert badge(client, unit.lisi) == "0"


def test_a_loss_alert_to_the_secrecy_office_outside_the_scope_does_not_name_the_carrier(unit, register_carrier):
    from documents import services_disposal

    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    services_disposal.carrier_report_lost(actor=unit.mishu, carrier=carrier, note="清点时发现缺少")
    to_baomi = Notification.objects.get(recipient=unit.baomi)
    assert "丢失" in to_baomi.title and carrier.serial not in to_baomi.title + to_baomi.body
    # Linked to the 丢失 incident she must report upward, never to the carrier (issue 11 §2).
    from oversight.models import Incident
    assert to_baomi.link == Incident.objects.get().get_absolute_url() and to_baomi.target_id is None
    to_registrar = Notification.objects.get(recipient=unit.mishu)
    assert carrier.serial in to_registrar.title and to_registrar.target_id == carrier.pk
