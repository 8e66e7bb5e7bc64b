"""Issue 14 §5: the 流转记录 names people by name, never by login. New notes are written with names;
rows recorded before that ("列入知悉范围：lisi", "孙丽华（baomi）") are shown with the name, and the stored
record is left as it was written."""
import re

import pytest

from documents import services
from documents.models import CustodyAction, CustodyEvent
from personnel import services as personnel_services


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def timeline(client, user, carrier):
    client.force_login(user)
    html = client.get(carrier.get_absolute_url()).content.decode()
    section = html[html.index("<h2>流转记录</h2>"):html.index("<h2>变更历史</h2>")]
    return re.sub(r"<[^>]+>", " ", section)


def test_the_custody_history_names_people_by_name_in_new_and_old_notes(client, unit, register_carrier):
    personnel_services.person_save(actor=unit.secadmin, user=unit.baomi, full_name="孙丽华")
    personnel_services.person_save(actor=unit.baomi, user=unit.lisi, full_name="李思远")
    personnel_services.person_save(actor=unit.baomi, user=unit.zhangsan, full_name="张山")
    carrier = register_carrier(level=1, title="内部通知")  # 内部: the registrar widens the scope alone
    services.carrier_scope_grant(actor=unit.mishu, carrier=carrier, reason="工作需要", user_id=unit.zhangsan.pk)
    # Rows written before notes named people.
    services.custody_record(carrier=carrier, action=CustodyAction.SCOPE_GRANTED, actor=unit.mishu,
                            note="列入知悉范围：lisi；理由：参加检查")
    services.custody_record(carrier=carrier, action=CustodyAction.SCOPE_GRANTED, actor=unit.mishu,
                            note="列入知悉范围：孙丽华（baomi），经办 USB 登记")

    text = timeline(client, unit.mishu, carrier)

    assert "列入知悉范围：张山；理由：工作需要" in text
    assert "列入知悉范围：李思远；理由：参加检查" in text
    assert "列入知悉范围：孙丽华，经办 USB 登记" in text
    assert not re.search(r"\b(lisi|baomi|zhangsan)\b", text)
    # The record itself is never rewritten.
    assert CustodyEvent.objects.filter(carrier=carrier, note="列入知悉范围：lisi；理由：参加检查").exists()
