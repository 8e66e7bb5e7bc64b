"""Data survives a change of layout (issue 13 §3): a demo database built at an older commit's
migrations (BASE_COMMIT, see build_fixture.py) is migrated to this checkout's migrations, and every
row of every table is still there — same count, same primary keys — the content types still name
installed models (so permissions, guardian grants and the audit log's generic targets point where
they did, with no duplicate content type added by post_migrate), every audited target still
exists, and the audit hash chain verifies with the key it was sealed with.

Every table of the base database is compared, so a later move of models between apps is checked
without touching this file. A table that is renamed on purpose (an AlterModelTable) is listed in
RENAMED_TABLES with the reason.

The migration runs in a subprocess (`manage.py migrate`, then `manage.py verify_audit`) against a
copy of the fixture, so the test database of the suite is untouched. This file runs on SQLite in
every run; test_migration_survival_pg.py does the same from a pg_dump on PostgreSQL.
"""
import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# {old table name: new table name} for tables renamed on purpose.
RENAMED_TABLES = {}

# Django's bookkeeping gains rows for new migrations and new models; every old row must remain.
GROWING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)


def clean_env(**values):
    """The environment of a manage.py subprocess: this process's, without any SECRECY_ setting."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SECRECY_")}
    env.update(DJANGO_SETTINGS_MODULE="secrecy.settings", SECRECY_AUDIT_KEY_FILE=str(HERE / "audit.key"), **values)
    return env


def manifest(name):
    return json.loads(lzma.decompress((HERE / name).read_bytes()))


def _as_key(value):
    return tuple(value) if isinstance(value, list) else value


def lost_and_changed(rows, tables, expected_tables):
    """(tables gone, tables whose rows differ) between the manifest and the migrated database;
    rows(sql) runs a query there and returns its rows."""
    lost, changed = [], []
    for old_name, expected in sorted(expected_tables.items()):
        table = RENAMED_TABLES.get(old_name, old_name)
        if table not in tables:
            lost.append(old_name)
            continue
        count = rows(f'SELECT COUNT(*) FROM "{table}"')[0][0]
        ids = []
        if expected["pk"]:
            select = ", ".join(f'"{c}"' for c in expected["pk"])
            ids = [list(r) if len(r) > 1 else r[0] for r in rows(f'SELECT {select} FROM "{table}" ORDER BY {select}')]
        if old_name in GROWING_TABLES:
            if not {_as_key(i) for i in expected["ids"]} <= {_as_key(i) for i in ids}:
                changed.append(f"{old_name}: rows of the base database are gone")
        elif count != expected["count"] or ids != expected["ids"]:
            changed.append(f"{old_name}: {expected['count']} rows before, {count} after")
    return lost, changed


def stale_content_types(rows):
    """Content types that name no installed model (a moved model whose row was not relabelled)."""
    stale = []
    for app_label, model in rows("SELECT app_label, model FROM django_content_type"):
        try:
            apps.get_model(app_label, model)
        except LookupError:
            stale.append(f"{app_label}.{model}")
    return stale


def missing_audit_targets(rows):
    """{model: some target ids gone} for audit events whose target row no longer exists."""
    targets = rows("SELECT DISTINCT e.target_type_id, c.app_label, c.model FROM audits_auditevent e "
                   "JOIN django_content_type c ON c.id = e.target_type_id")
    assert targets
    missing = {}
    for type_id, app_label, model_name in targets:
        model = apps.get_model(app_label, model_name)
        gone = rows(f'SELECT DISTINCT e.target_id FROM audits_auditevent e WHERE e.target_type_id = {int(type_id)} '
                    f'AND e.target_id IS NOT NULL AND e.target_id NOT IN '
                    f'(SELECT "{model._meta.pk.column}" FROM "{model._meta.db_table}")')
        if gone:
            missing[f"{app_label}.{model_name}"] = [r[0] for r in gone[:5]]
    return missing


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    work = tmp_path_factory.mktemp("survival")
    db = work / "db.sqlite3"
    db.write_bytes(lzma.decompress((HERE / "base.sqlite3.xz").read_bytes()))
    heads = work / "audit-heads.log"
    shutil.copyfile(HERE / "audit-heads.log", heads)
    env = clean_env(SECRECY_VAR_DIR=str(work), SECRECY_DATABASE_URL=f"sqlite:///{db}",
                    SECRECY_AUDIT_HEADS_FILE=str(heads))
    result = manage("migrate", "--no-input", env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    def rows(sql):
        with sqlite3.connect(db) as connection:
            return connection.execute(sql).fetchall()
    return {"rows": rows, "env": env, "heads": heads, "manifest": manifest("manifest.json.xz")}


def test_every_row_of_every_table_is_still_there(migrated):
    rows = migrated["rows"]
    tables = {name for (name,) in rows("SELECT name FROM sqlite_master WHERE type='table'")}
    lost, changed = lost_and_changed(rows, tables, migrated["manifest"])
    assert not lost, f"tables dropped by the migrations: {lost}"
    assert not changed, "rows lost or added by the migrations: " + "; ".join(changed)
    assert sum(t["count"] for t in migrated["manifest"].values()) > 1000, "the fixture holds the demo data"


def test_content_types_name_installed_models_and_none_is_duplicated(migrated):
    rows = migrated["rows"]
    stale = stale_content_types(rows)
    assert not stale, f"content types left behind by a model move (their rows were not relabelled): {stale}"
    labels = rows("SELECT app_label, model FROM django_content_type")
    assert len(labels) == len(set(labels))
    assert {(m._meta.app_label, m._meta.model_name) for m in apps.get_models()} <= set(labels)


def test_every_audited_target_still_exists(migrated):
    missing = missing_audit_targets(migrated["rows"])
    assert not missing, f"audit events point at rows that are gone: {missing}"


def test_the_audit_chain_verifies_with_its_own_key(migrated):
    args = ["verify_audit"]
    if migrated["heads"].stat().st_size:
        args += ["--heads", str(migrated["heads"])]
    result = manage(*args, env=migrated["env"])
    assert result.returncode == 0, result.stdout + result.stderr
