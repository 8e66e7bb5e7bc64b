"""secrecy/ is the bottom of the house (ARCHITECTURE.md): it imports no app, so every app may
import it without a cycle. The apps come to it through its registries (badges, visibility, jobs)."""
import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

PACKAGE = Path(settings.BASE_DIR) / "secrecy"


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_secrecy_imports_no_app_of_the_project():
    project_apps = {config.name.split(".")[0] for config in apps.get_app_configs()
                    if (Path(settings.BASE_DIR) / config.name.split(".")[0]).is_dir()} - {"secrecy"}
    assert {"documents", "personnel", "portal"} <= project_apps
    offending = [
        f"{path.relative_to(settings.BASE_DIR)}:{line}: {module}"
        for path in sorted(PACKAGE.rglob("*.py")) if "tests" not in path.parts
        for line, module in _imported_modules(path) if module.split(".")[0] in project_apps
    ]
    assert offending == []
