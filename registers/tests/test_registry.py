"""The registry of printed registers: every app declares its own, the registers app finds them, and
no app below registers imports it (ARCHITECTURE "The house")."""
import ast
from pathlib import Path

from django.conf import settings

from registers.registry import REGISTERS, register_choices

# The apps the registers app sits above: they declare registers but must not import this app.
LOWER_APPS = ("secrecy", "audits", "notifications", "personnel", "documents", "approvals", "meetings", "oversight")


def test_every_app_s_registers_are_found_under_their_names():
    declared = {
        "documents": {"incoming", "outgoing", "ledger", "circulation",
                      "ledger_inventory", "incoming_inventory", "outgoing_inventory"},
        "approvals": {"loans", "copies", "destruction", "loans_inventory"},
        "personnel": {"personnel"},
        "meetings": {"meeting"},
    }
    for app, names in declared.items():
        for name in names:
            assert REGISTERS[name].build.__module__.startswith(f"{app}.registers"), name
    assert set(REGISTERS) == set().union(*declared.values())


def test_the_registers_page_offers_only_the_listed_carrier_registers():
    assert [name for name, _ in register_choices()] == ["incoming", "outgoing", "ledger", "loans", "copies"]


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_app_below_registers_imports_it():
    base = Path(settings.BASE_DIR)
    offending = []
    for app in LOWER_APPS:
        for path in (base / app).rglob("*.py"):
            if "tests" in path.relative_to(base).parts or "migrations" in path.parts:
                continue
            for module in _imported_modules(path):
                if module == "registers" or module.startswith("registers."):
                    offending.append(f"{path.relative_to(base)}: {module}")
    assert offending == []
