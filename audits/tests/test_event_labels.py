"""The auditor's screens name every action the code can record in Chinese (issue 14 §7: inspection
and incident actions were shown as bare codes).

The names live with the types: each app declares its events in <app>/events.py with their Chinese
name (audits.events.declare), and audits imports no app — AuditsConfig.ready() autodiscovers the
events modules. What could still leave an action nameless on screen: a type declared outside an
events module (named only once something else imports it), an app whose events module is not
discovered, or code referring to a type no events module declares. The source check below walks
every reference to an events module in the project and resolves it against the registry; the
screen check records one event of every declared type and reads the auditor's list."""
import ast
import importlib
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from audits import labels
from audits.events import EventType, declared_types, is_declared
from audits.services import record_event

ROOT = Path(settings.BASE_DIR)
SKIP_PARTS = {"tests", "migrations", ".venv", "bench"}
CJK = re.compile(r"[\u4e00-\u9fff]")
UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _project_packages(root):
    return sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file() and p.name not in SKIP_PARTS)


def _module_name(root, path):
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module, level, name, is_package):
    """The absolute module of a relative `from <dots><name> import …` in `module`."""
    if not level:
        return name
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def event_references(root):
    """(where, events module, NAME) of every upper-case name the project reads from an events
    module — `events.NAME`, `alias.NAME`, or `from .events import NAME` — outside tests."""
    found = []
    for package in _project_packages(root):
        for path in sorted((root / package).rglob("*.py")):
            if SKIP_PARTS.intersection(path.relative_to(root).parts):
                continue
            module = _module_name(root, path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            aliases = {}  # local name -> events module
            for node in ast.walk(tree):
                where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.ImportFrom):
                    source = _resolve(module, node.level, node.module or "", path.name == "__init__.py")
                    for alias in node.names:
                        if alias.name == "events":
                            aliases[alias.asname or "events"] = f"{source}.events" if source else "events"
                        elif source.endswith("events") and UPPER.match(alias.name):
                            found.append((where, source, alias.name))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id in aliases and UPPER.match(node.attr)):
                    found.append((f"{path.relative_to(root)}:{node.lineno}", aliases[node.value.id], node.attr))
    return found


def unnamed_references(root):
    """The references above that do not lead to a declared type with a Chinese name and group."""
    problems = []
    for where, module_name, name in event_references(root):
        try:
            value = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            problems.append(f"{where} {module_name}.{name} does not exist")
            continue
        if not isinstance(value, EventType):
            continue  # another constant of the module
        if not is_declared(value):
            problems.append(f"{where} {module_name}.{name} is not a declared event type")
        elif not CJK.search(value.label) or labels.group_label(value.group) == value.group:
            problems.append(f"{where} {value.action} has no Chinese name")
    return problems


def test_every_event_type_the_code_refers_to_is_declared_with_a_chinese_name():
    references = event_references(ROOT)
    # Every service records through these references: over a hundred, inspections and incidents too.
    assert len(references) > 100
    assert {"oversight.events", "personnel.events", "registers.events"} <= {m for _, m, _ in references}
    problems = unnamed_references(ROOT)
    assert not problems, "\n".join(problems)


def test_the_source_check_reports_an_undeclared_type(tmp_path):
    app = tmp_path / "fakeapp"
    (app / "services").mkdir(parents=True)
    for folder in (app, app / "services"):
        (folder / "__init__.py").write_text("")
    (app / "services" / "work.py").write_text(
        "from .. import events\nfrom audits import events as audit_events\nfrom personnel.events import NOPE\n"
        "record_event(actor=a, event=events.NOTHING)\nrecord_event(actor=a, event=audit_events.LOGIN)\n")
    found = event_references(tmp_path)
    assert [(m, n) for _, m, n in found] == [
        ("personnel.events", "NOPE"), ("fakeapp.events", "NOTHING"), ("audits.events", "LOGIN")]
    problems = unnamed_references(tmp_path)
    assert len(problems) == 2 and "personnel.events.NOPE" in problems[0] and "fakeapp.events" in problems[1]


def test_every_declaration_is_in_a_discovered_events_module():
    """declare() anywhere else would name its actions only once that module happened to be
    imported; an events module of an app not installed would never be discovered."""
    installed = {config.name for config in apps.get_app_configs()}
    for package in _project_packages(ROOT):
        for path in sorted((ROOT / package).rglob("*.py")):
            if SKIP_PARTS.intersection(path.relative_to(ROOT).parts):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imports_declare = any(isinstance(n, ast.ImportFrom) and n.module == "audits.events"
                                  and any(a.name == "declare" for a in n.names) for n in ast.walk(tree))
            if imports_declare:
                assert path.name == "events.py" and path.parent.name in installed, path
    for event in declared_types():
        assert CJK.search(event.label) and labels.group_label(event.group) != event.group, event


def test_the_auditors_list_names_every_recorded_action_in_chinese(unit, settings):
    settings.SECRECY = {**settings.SECRECY, "LIST_PAGE_SIZE": 1000}
    business = [event for event in declared_types() if event.group != "test"]
    for event in business:
        record_event(actor=unit.baomi, event=event, target_repr=f"标签检查 {event.action}")
    client = Client()
    client.force_login(unit.auditor)
    html = client.get(reverse("audits:events")).content.decode()
    for event in business:
        cell = f'<td class="nowrap" title="{event.action}">{event.label}</td>'
        assert cell in html, f"{event.action} is not shown by its Chinese name"
        assert f'title="{event.action}">{event.action}</td>' not in html
