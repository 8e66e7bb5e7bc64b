"""Rebuild the migration-survival fixture: a demo database made at a fixed commit's migrations.

    python tests/survival/build_fixture.py [COMMIT]      (default: the commit in BASE_COMMIT)
    python tests/survival/build_fixture.py --postgres [COMMIT]

Checks COMMIT out into a temporary git worktree, runs `audit_key --create-if-missing`,
`migrate` and `seed_demo` there against a fresh SQLite file with its own audit key and heads
file (nothing of this checkout's var/ is touched), then writes next to this script:

    base.sqlite3.xz     the database, compressed
    audit.key           the test-only audit key the chain was sealed with
    audit-heads.log     the heads file (may be empty: the daily job did not run)
    manifest.json.xz    every table's row count and primary keys, read at build time
    BASE_COMMIT         the commit the database was built at

The test (test_migration_survival.py) migrates a copy to this checkout's migrations and compares.

With --postgres the same is built on the PostgreSQL server of SECRECY_DATABASE_URL (a scratch
database, dropped afterwards), sealed with the same audit key, and written as base.pgdump
(pg_dump custom format) and manifest-pg.json.xz for test_migration_survival_pg.py.
Rebuild only when the base commit should move forward (i.e. after a release whose layout later
moves must still carry); rebuilding at a newer commit makes the test check less.
"""
import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def table_manifest(db_path):
    """{table: {"count": n, "pk": [column...], "ids": [sorted primary keys]}} for every table."""
    connection = sqlite3.connect(db_path)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        manifest = {}
        for table in tables:
            columns = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
            pk = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
            count = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            ids = []
            if pk:
                select = ", ".join(f'"{c}"' for c in pk)
                ids = [list(r) if len(r) > 1 else r[0]
                       for r in connection.execute(f'SELECT {select} FROM "{table}" ORDER BY {select}')]
            manifest[table] = {"count": count, "pk": pk, "ids": ids}
        return manifest
    finally:
        connection.close()


def build(commit):
    work = Path(tempfile.mkdtemp(prefix="survival-"))
    src, var = work / "src", work / "var"
    var.mkdir()
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(src), commit], check=True)
    try:
        db = var / "base.sqlite3"
        env = {**os.environ, "SECRECY_VAR_DIR": str(var), "SECRECY_DATABASE_URL": f"sqlite:///{db}",
               "SECRECY_AUDIT_KEY_FILE": str(var / "audit.key"),
               "SECRECY_AUDIT_HEADS_FILE": str(var / "audit-heads.log"),
               "DJANGO_SETTINGS_MODULE": "secrecy.settings"}
        for command in (["audit_key", "--create-if-missing"], ["migrate", "--no-input"], ["seed_demo"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=src, env=env, check=True)
        manifest = table_manifest(db)
        with sqlite3.connect(db) as connection:
            connection.execute("VACUUM")
        (HERE / "base.sqlite3.xz").write_bytes(lzma.compress(db.read_bytes(), preset=9 | lzma.PRESET_EXTREME))
        (HERE / "manifest.json.xz").write_bytes(lzma.compress(json.dumps(manifest, sort_keys=True).encode()))
        shutil.copyfile(var / "audit.key", HERE / "audit.key")
        heads = var / "audit-heads.log"
        (HERE / "audit-heads.log").write_bytes(heads.read_bytes() if heads.exists() else b"")
        (HERE / "BASE_COMMIT").write_text(commit + "\n")
        print(f"built at {commit}: {sum(t['count'] for t in manifest.values())} rows in {len(manifest)} tables")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(src)], check=False)
        shutil.rmtree(work, ignore_errors=True)


def pg_manifest(connection):
    """table_manifest for a PostgreSQL database (tables of the public schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        manifest = {}
        for table in tables:
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)", [f'"{table}"'])
            pk = [row[0] for row in cursor.fetchall()]
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            count = cursor.fetchone()[0]
            ids = []
            if pk:
                select = ", ".join(f'"{c}"' for c in pk)
                cursor.execute(f'SELECT {select} FROM "{table}" ORDER BY {select}')
                ids = [list(r) if len(r) > 1 else r[0] for r in cursor.fetchall()]
            manifest[table] = {"count": count, "pk": pk, "ids": ids}
        return manifest


def pg_server(url):
    """(connect kwargs of the server's maintenance database, url of a database named `name`)."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    server = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
              "user": urllib.parse.unquote(parts.username or "postgres"), "dbname": "postgres"}
    if parts.password:
        server["password"] = urllib.parse.unquote(parts.password)

    def url_of(name):
        return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    return server, url_of


def build_postgres(commit):
    import psycopg2

    server, url_of = pg_server(os.environ["SECRECY_DATABASE_URL"])
    name = f"survival_build_{os.getpid()}"
    admin = psycopg2.connect(**server)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="survival-"))
    src, var = work / "src", work / "var"
    var.mkdir()
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(src), commit], check=True)
    try:
        env = {**os.environ, "SECRECY_VAR_DIR": str(var), "SECRECY_DATABASE_URL": url_of(name),
               "SECRECY_AUDIT_KEY_FILE": str(HERE / "audit.key"),
               "SECRECY_AUDIT_HEADS_FILE": str(var / "audit-heads.log"),
               "DJANGO_SETTINGS_MODULE": "secrecy.settings"}
        for command in (["migrate", "--no-input"], ["seed_demo"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=src, env=env, check=True)
        connection = psycopg2.connect(**{**server, "dbname": name})
        try:
            manifest = pg_manifest(connection)
        finally:
            connection.close()
        subprocess.run(["pg_dump", "--format=custom", "--compress=9", "--no-owner", "--no-privileges",
                        "--file", str(HERE / "base.pgdump"), url_of(name)], check=True)
        (HERE / "manifest-pg.json.xz").write_bytes(lzma.compress(json.dumps(manifest, sort_keys=True).encode()))
        print(f"built at {commit} on PostgreSQL: {sum(t['count'] for t in manifest.values())} rows")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(src)], check=False)
        shutil.rmtree(work, ignore_errors=True)
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    postgres = "--postgres" in args
    args = [a for a in args if a != "--postgres"]
    default = (HERE / "BASE_COMMIT").read_text().strip() if (HERE / "BASE_COMMIT").exists() else None
    target = args[0] if args else default
    if not target:
        sys.exit("usage: build_fixture.py [--postgres] COMMIT")
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", target], check=True, capture_output=True,
                            text=True).stdout.strip()
    (build_postgres if postgres else build)(commit)
