"""demo and portal are the top of the house (ARCHITECTURE.md): they import the apps, and no app —
not even its tests — imports them, so no cycle can run through demo data or the home page."""
import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

TOP = {"demo", "portal"}


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_no_app_imports_demo_or_portal():
    base = Path(settings.BASE_DIR)
    project_apps = {config.name.split(".")[0] for config in apps.get_app_configs()
                    if (base / config.name.split(".")[0]).is_dir()}
    assert TOP <= project_apps
    offending = [
        f"{path.relative_to(base)}:{line}: {module}"
        for app in sorted(project_apps - TOP) for path in sorted((base / app).rglob("*.py"))
        for line, module in _imported_modules(path) if module.split(".")[0] in TOP
    ]
    assert offending == []
