"""shared/ARCHITECTURE.md's rules about the house, held by tests: imports point down, between apps and
between the rooms inside them, and nobody reaches for another app's private names.

The source is read, not imported: an import inside a function counts like one at the top."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import only apps of an earlier layer (ARCHITECTURE "The house").
LAYERS = [
    ["secrecy"],
    ["audits"],
    ["notifications"],
    ["personnel"],
    ["documents"],
    ["approvals", "meetings", "oversight"],
    ["registers", "portal", "api"],
    ["demo"],
]
LAYER_OF = {app: index for index, layer in enumerate(LAYERS) for app in layer}

# Inside an app, lowest first: a room never imports a room of a later rank, in its own app or in
# another (ARCHITECTURE "One room per job"). Rooms not listed (apps.py, admin, urls, templatetags,
# management commands, context processors, middleware…) sit on top and may import any room.
ROOM_RANK = {
    "models": 0, "levels": 0, "errors": 0, "workflow": 0, "keyset": 0, "events": 0,
    "policy": 1, "filters": 1, "labels": 1,
    "selectors": 2, "search": 2,
    "services": 3, "jobs": 4, "tasks": 4, "registers": 4,
    "forms": 5,
    "views": 6,
}
# What a room of each rank may never import, whoever owns it.
NEVER_BELOW = {
    "models": {"policy", "selectors", "services", "jobs", "tasks", "forms", "views"},
    # An app's declared audit event types (audits.events): what services record, never a service.
    "events": {"policy", "selectors", "services", "jobs", "tasks", "forms", "views"},
    "policy": {"selectors", "services", "jobs", "tasks", "forms", "views"},
    "selectors": {"services", "jobs", "tasks", "forms", "views"},
    "services": {"forms", "views"},
    "jobs": {"forms", "views"},
    "tasks": {"forms", "views"},
    "registers": {"forms", "views"},
    "forms": {"views"},
}
SKIP_PARTS = {"tests", "migrations", ".venv", "bench", "deploy", "static", "templates", "node_modules"}


def _source_files():
    for app in LAYER_OF:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if not SKIP_PARTS.intersection(path.relative_to(ROOT).parts):
                yield path


def _module_of(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return parts


def _room(parts):
    """The room of a module path: documents.services_copy → services; approvals.services.decide →
    services; documents.models → models; a module of no listed room → its own name."""
    for part in parts[1:]:
        room = part.split("_")[0]
        if room in ROOM_RANK:
            return room
    return parts[-1] if len(parts) > 1 else ""


def _imports(path):
    """(line, imported module parts, imported names) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_of(path)
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split("."), [], alias.asname or alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            else:
                target = node.module.split(".")
            names = [alias.name for alias in node.names]
            yield node.lineno, target, names, None


def _offences():
    app_offences, room_offences, private_offences = [], [], []
    for path in _source_files():
        here = _module_of(path)
        app, room = here[0], _room(here)
        where = f"{path.relative_to(ROOT)}"
        module_aliases = {}
        for line, target, names, _alias in _imports(path):
            other = target[0]
            if other not in LAYER_OF:
                continue
            if other != app and LAYER_OF[other] >= LAYER_OF[app]:
                app_offences.append(f"{where}:{line} {app} imports {'.'.join(target)}")
            # A module imported by name (from documents import services) is a room too.
            candidates = [target + [name] for name in names] if names else [target]
            for candidate in candidates:
                other_room = _room(candidate if (ROOT.joinpath(*candidate).with_suffix(".py").exists()
                                                 or ROOT.joinpath(*candidate).is_dir()) else target)
                if other_room in NEVER_BELOW.get(room, ()):
                    room_offences.append(f"{where}:{line} {room} imports {'.'.join(candidate)} ({other_room})")
            if other != app:
                for name in names:
                    if name.startswith("_"):
                        private_offences.append(f"{where}:{line} takes {'.'.join(target)}.{name}")
                    elif ROOT.joinpath(*target, f"{name}.py").exists():
                        module_aliases[name] = ".".join(target + [name])
                if not names and _alias:
                    module_aliases[_alias] = ".".join(target)
        private_offences.extend(_private_attributes(path, module_aliases))
    return app_offences, room_offences, private_offences


def _private_attributes(path, module_aliases):
    """module._name where module is another app's module bound in this file."""
    if not module_aliases:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} takes {module_aliases[node.value.id]}.{node.attr}")
    return found


@pytest.fixture(scope="module")
def offences():
    return _offences()


def test_every_app_imports_only_the_apps_below_it(offences):
    app_offences, _, _ = offences
    assert not app_offences, "imports that run up the house:\n" + "\n".join(app_offences)


def test_no_room_imports_a_room_above_it(offences):
    _, room_offences, _ = offences
    assert not room_offences, "rooms importing rooms above them:\n" + "\n".join(room_offences)


def test_no_app_takes_another_apps_private_names(offences):
    _, _, private_offences = offences
    assert not private_offences, "private names taken across apps:\n" + "\n".join(private_offences)


def test_the_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The rules above must be able to fail: a planted upward import, room import and private
    name are each reported."""
    fake_root = tmp_path
    (fake_root / "secrecy").mkdir()
    (fake_root / "secrecy" / "views.py").write_text("from documents.selectors import carrier_list\n")
    (fake_root / "documents").mkdir()
    (fake_root / "documents" / "models.py").write_text("from .services import carrier_register\n")
    (fake_root / "documents" / "selectors.py").write_text("carrier_list = None\n")
    (fake_root / "documents" / "services.py").write_text("carrier_register = None\n")
    (fake_root / "meetings").mkdir()
    (fake_root / "meetings" / "services.py").write_text(
        "from documents import services\nfrom documents.services import _record_custody\n"
        "services._audit()\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    app_offences, room_offences, private_offences = _offences()
    assert app_offences == ["secrecy/views.py:1 secrecy imports documents.selectors"]
    assert room_offences == ["documents/models.py:1 models imports documents.services.carrier_register (services)"]
    assert sorted(private_offences) == ["meetings/services.py:2 takes documents.services._record_custody",
                                        "meetings/services.py:3 takes documents.services._audit"]


def test_no_source_file_is_over_600_lines():
    """Issue 13: a room that grows past ~600 lines becomes a package of smaller ones."""
    long_files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if {"migrations", ".venv", "node_modules"}.intersection(parts) or parts[0].startswith("."):
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 600:
            long_files.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long_files, "\n".join(long_files)
