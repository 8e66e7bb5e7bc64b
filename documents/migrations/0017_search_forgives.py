"""Search forgives (issue 14 §2).

- doc_number_norm: the 文号 as the search box compares it, filled here for every existing row in
  batches of ids (the running code keeps it in step from then on: Carrier.save()).
- carrier_serial_number_idx: a 3–6 digit term finds the serial's tail through it.
- On PostgreSQL, the grams index of migration 0014 is rebuilt over the normalised 文号
  (secrecy_grams(title, doc_number_norm), same name), and a second one over 来文单位 and 发往单位
  (secrecy_grams(issuer, recipients)), so those searches read the index, never the whole table.
  Both reuse the secrecy_grams function of 0014 (2-character grams: pg_trgm's 3-character
  trigrams cannot index the 2-character Chinese terms users type).
"""
import unicodedata

from django.db import migrations, models

# documents.search.normalize_doc_number as of this migration (frozen: a migration must not change
# with later code).
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "【": "(", "】": ")",
                           "〖": "(", "〗": ")", "{": "(", "}": ")"})


def normalize_doc_number(value):
    text = unicodedata.normalize("NFKC", value or "").translate(_BRACKETS)
    return "".join(text.split()).lower()[:300]


BATCH = 5000


def _write(schema_editor, Carrier, pairs):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        Carrier.objects.using(connection.alias).bulk_update(
            [Carrier(pk=pk, doc_number_norm=norm) for pk, norm in pairs], ["doc_number_norm"], batch_size=500)
        return
    # One UPDATE … FROM (VALUES …) per batch: bulk_update's CASE of 500 arms took minutes at 100k rows.
    values = ", ".join(["(%s, %s)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE documents_carrier AS c SET doc_number_norm = v.norm FROM (VALUES {values}) "
                       "AS v(id, norm) WHERE c.id = v.id", [value for pair in pairs for value in pair])


def fill(apps, schema_editor):
    """Every existing 文号, normalised in Python (the same function as the running code, so a
    term and a row always agree), in batches of ids."""
    Carrier = apps.get_model("documents", "Carrier")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(Carrier.objects.using(db).filter(pk__gt=last).exclude(doc_number="")
                    .order_by("pk").values_list("pk", "doc_number")[:BATCH])
        if not rows:
            break
        _write(schema_editor, Carrier, [(pk, normalize_doc_number(number)) for pk, number in rows])
        last = rows[-1][0]


SEARCH_INDEX = "carrier_search_grams_idx"
PARTY_INDEX = "carrier_party_grams_idx"
OLD_INDEX = (f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON documents_carrier "
             "USING gin (secrecy_grams(title, doc_number))")


def drop_old_index(apps, schema_editor):
    # Dropped before the fill: every row is rewritten, and the old index (to be replaced anyway)
    # would be maintained for each of them.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")


def restore_old_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_INDEX)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A GIN build is much faster with room to sort its entries (for this transaction only).
    schema_editor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON documents_carrier "
                          "USING gin (secrecy_grams(title, doc_number_norm))")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {PARTY_INDEX} ON documents_carrier "
                          "USING gin (secrecy_grams(issuer, recipients))")
    # Statistics of the new expressions, so the planner weighs a search's index from the start.
    # (Every row was rewritten: VACUUM ANALYZE after the upgrade, deploy/RUNBOOK.md §6, also
    # refreshes the visibility map the list's index-only scans rely on; it cannot run in here.)
    schema_editor.execute("ANALYZE documents_carrier")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PARTY_INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0016_move_registerjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="carrier",
            name="doc_number_norm",
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name="文号（检索）"),
        ),
        migrations.AddIndex(
            model_name="carrier",
            index=models.Index(fields=["serial_number"], name="carrier_serial_number_idx"),
        ),
        migrations.RunPython(drop_old_index, restore_old_index),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
