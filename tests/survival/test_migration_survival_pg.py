"""The migration-survival check of test_migration_survival.py on PostgreSQL: a pg_dump of the demo
database built at BASE_COMMIT (build_fixture.py --postgres, sealed with the same audit key) is
restored into a scratch database on the test server, migrated to this checkout's migrations in a
subprocess, and compared with the manifest read when it was built. Runs when the suite runs on
PostgreSQL (SECRECY_DATABASE_URL=postgres://…); the scratch database is dropped afterwards.
"""
import subprocess
import urllib.parse
import uuid

import psycopg2
import pytest
from django.db import connection

from tests.survival.test_migration_survival import (
    HERE, clean_env, lost_and_changed, manage, manifest, missing_audit_targets, stale_content_types,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL variant needs PostgreSQL"),
]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    settings = connection.settings_dict
    server = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
              "user": settings["USER"] or "postgres", "dbname": "postgres"}
    if settings["PASSWORD"]:
        server["password"] = settings["PASSWORD"]
    name = f"survival_{uuid.uuid4().hex[:12]}"
    auth = urllib.parse.quote(server["user"]) + (f":{urllib.parse.quote(server['password'])}"
                                                 if settings["PASSWORD"] else "")
    url = f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    admin = psycopg2.connect(**server)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    work = tmp_path_factory.mktemp("survival-pg")
    heads = work / "audit-heads.log"
    heads.write_bytes(b"")
    scratch = None
    try:
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--dbname", url, str(HERE / "base.pgdump")],
                       check=True, capture_output=True)
        env = clean_env(SECRECY_VAR_DIR=str(work), SECRECY_DATABASE_URL=url, SECRECY_AUDIT_HEADS_FILE=str(heads))
        result = manage("migrate", "--no-input", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        scratch = psycopg2.connect(**{**server, "dbname": name})
        scratch.autocommit = True

        def rows(sql):
            with scratch.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        yield {"rows": rows, "env": env, "manifest": manifest("manifest-pg.json.xz")}
    finally:
        if scratch is not None:
            scratch.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_every_row_of_every_table_is_still_there_on_postgresql(migrated):
    rows = migrated["rows"]
    tables = {name for (name,) in rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    lost, changed = lost_and_changed(rows, tables, migrated["manifest"])
    assert not lost, f"tables dropped by the migrations: {lost}"
    assert not changed, "rows lost or added by the migrations: " + "; ".join(changed)


def test_content_types_and_audited_targets_survive_on_postgresql(migrated):
    assert not stale_content_types(migrated["rows"])
    assert not missing_audit_targets(migrated["rows"])


def test_the_audit_chain_verifies_on_postgresql(migrated):
    result = manage("verify_audit", env=migrated["env"])
    assert result.returncode == 0, result.stdout + result.stderr
