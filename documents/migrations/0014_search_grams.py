"""Title and 文号 search by an index (issue 12): on PostgreSQL, a GIN index over the one- and
two-character pieces (grams) of title and doc_number. Chinese has no spaces between words and
users search 2-character terms (通知, 保密), which pg_trgm's 3-character trigrams cannot index;
every term of n ≥ 1 characters is found through the grams it is made of, and the LIKE that
defines a match is still applied to the few rows the index returns (documents.search).

SQLite (the embedded default, a county-level unit) has no such index type; its search stays a
LIKE scan, which is fast enough at that scale (bench/RESULTS.md)."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION secrecy_grams(title text, doc_number text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM (SELECT lower(coalesce(title, '') || ' ' || coalesce(doc_number, '')) AS value) AS source,
         LATERAL (
             SELECT substr(value, i, 1) AS gram FROM generate_series(1, length(value)) AS i
             UNION ALL
             SELECT substr(value, i, 2) FROM generate_series(1, length(value) - 1) AS i
         ) AS grams
    WHERE gram <> ' '
$$;
"""
INDEX = "CREATE INDEX IF NOT EXISTS carrier_search_grams_idx ON documents_carrier USING gin (secrecy_grams(title, doc_number))"
DROP = "DROP INDEX IF EXISTS carrier_search_grams_idx; DROP FUNCTION IF EXISTS secrecy_grams(text, text);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("documents", "0013_scope_expansion_request")]
    operations = [migrations.RunPython(forwards, backwards)]
