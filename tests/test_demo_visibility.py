"""Acceptance: for every demo account, the list, the count, every detail page and the PDF/XLSX
exports hold exactly the carriers SPEC §4 allows; everything else answers 404.

The expected set comes from an oracle written straight from SPEC §4 in plain Python, not from
the policy module, so a mistake in the policy shows up here.
"""
import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from pypdf import PdfReader

from documents.models import Carrier, CarrierGroupScope, CarrierUserScope
from documents.registers import register_produce

DEMO_USERS = ["mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu", "sysadmin", "secadmin", "auditor"]
ADMIN_ROLES = {"sysadmin", "security_admin", "auditor"}
CLASS_TO_LEVEL = {"core": 4, "important": 3, "general": 2}


def oracle_visible_ids(user):
    """SPEC §4, read literally."""
    roles = set(user.groups.values_list("name", flat=True))
    if not user.is_active or roles & ADMIN_ROLES:
        return set()
    person = getattr(user, "person", None)
    cleared = person and person.person_class and person.review_passed and person.commitment_signed_on \
        and person.status == "on_post"
    clearance = CLASS_TO_LEVEL[person.person_class] if cleared else 1  # no class → nothing classified
    group_ids = set(user.groups.values_list("id", flat=True))
    granted = set(CarrierUserScope.objects.filter(user=user).values_list("content_object_id", flat=True))
    granted |= set(CarrierGroupScope.objects.filter(group_id__in=group_ids).values_list("content_object_id", flat=True))
    served = set(person.served_departments.values_list("id", flat=True)) if person and "registrar" in roles else set()
    visible = set()
    for carrier in Carrier.objects.all():
        need_to_know = carrier.pk in granted or carrier.custodian_id == user.pk or carrier.department_id in served
        if carrier.level <= clearance and need_to_know:
            visible.add(carrier.pk)
    return visible


def serials_in_pdf(content, all_serials):
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))
    return {serial for serial in all_serials if serial in text}


def serials_in_xlsx(content, all_serials):
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    cells = {str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None}
    return all_serials & cells


@pytest.mark.django_db
def test_every_demo_user_sees_exactly_what_spec_4_allows_everywhere(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    carriers = {c.pk: c for c in Carrier.objects.all()}
    assert len(carriers) >= 200
    serial_of = {pk: c.serial for pk, c in carriers.items()}
    all_serials = set(serial_of.values())
    seen_counts = {}
    for username in DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        expected = oracle_visible_ids(user)
        expected_serials = {serial_of[pk] for pk in expected}
        seen_counts[username] = len(expected)
        client.force_login(user)

        # The list's count line and the first page.
        response = client.get("/carriers/")
        if username in ("sysadmin", "secadmin", "auditor"):
            assert response.status_code in (200, 404)
        else:
            assert response.status_code == 200
            body = response.content.decode()
            assert f"共 {len(expected)} 条" in body, (username, len(expected))
            listed = set(re.findall(r"\d{4}-\d{6}", body))
            assert listed <= expected_serials, (username, listed - expected_serials)

        # Every carrier's detail page: 200 exactly for the expected ones, 404 for all others.
        for pk in carriers:
            status = client.get(f"/carriers/{pk}/").status_code
            assert status == (200 if pk in expected else 404), (username, serial_of[pk], status)

        # The ledger export holds exactly the visible carriers, in both formats.
        if username in ("sysadmin", "secadmin", "auditor"):
            from secrecy.errors import PolicyDenied
            with pytest.raises(PolicyDenied):
                register_produce(user=user, name="ledger", fmt="xlsx")
        else:
            _, xlsx, _ = register_produce(user=user, name="ledger", fmt="xlsx")
            assert serials_in_xlsx(xlsx, all_serials) == expected_serials, username
            _, pdf, _ = register_produce(user=user, name="ledger", fmt="pdf")
            assert serials_in_pdf(pdf, all_serials) == expected_serials, username
        client.logout()

    # The demo is shaped so that the rule is exercised, not trivially empty.
    assert seen_counts["mishu"] == len(carriers)
    assert 0 < seen_counts["zhangsan"] < seen_counts["lisi"] < seen_counts["mishu"]
    assert seen_counts["sysadmin"] == seen_counts["secadmin"] == seen_counts["auditor"] == 0
