"""Issue 14 §5: a register is signed and filed, so it names who printed it as colleagues know them
(the 涉密人员 record, personnel.names.person_name), never by the login — it used to read
"孙丽华（baomi）"."""
import re

from personnel import services as personnel_services
from registers.tests.test_registers import download, pdf_pages, xlsx_table


def test_the_printer_is_named_by_name_never_by_login(client, unit, register_carrier):
    register_carrier(level=2, scope_users=[unit.lisi])
    personnel_services.person_save(actor=unit.baomi, user=unit.mishu, full_name="王秀英")

    pdf = download(client, unit.mishu, "ledger", "pdf").content
    _, top, _, _ = xlsx_table(download(client, unit.mishu, "ledger", "xlsx").content)

    footer = re.sub(r"\s+", "", pdf_pages(pdf)[0].extract_text())
    assert "打印人：王秀英" in footer and "mishu" not in footer
    assert "王秀英" in top[3][0] and "mishu" not in top[3][0]


def test_the_auditors_printout_names_the_auditor_by_name(client, unit):
    from audits import selectors

    personnel_services.person_save(actor=unit.baomi, user=unit.auditor, full_name="郑永红")
    unit.auditor.refresh_from_db()

    assert selectors.printed_by_label(unit.auditor) == "郑永红"
