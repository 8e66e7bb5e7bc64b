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


BATCH = 2000


def fill(apps, schema_editor):
    Carrier = apps.get_model("documents", "Carrier")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(Carrier.objects.using(db).filter(pk__gt=last).exclude(doc_number="")
                    .order_by("pk").values_list("pk", "doc_number")[:BATCH])
        if not rows:
            break
        changed = [Carrier(pk=pk, doc_number_norm=normalize_doc_number(number)) for pk, number in rows]
        Carrier.objects.using(db).bulk_update(changed, ["doc_number_norm"], batch_size=500)
        last = rows[-1][0]


SEARCH_INDEX = "carrier_search_grams_idx"
PARTY_INDEX = "carrier_party_grams_idx"


def pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    schema_editor.execute(f"CREATE INDEX {SEARCH_INDEX} ON documents_carrier "
                          "USING gin (secrecy_grams(title, doc_number_norm))")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {PARTY_INDEX} ON documents_carrier "
                          "USING gin (secrecy_grams(issuer, recipients))")


def pg_indexes_back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {PARTY_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    schema_editor.execute(f"CREATE INDEX {SEARCH_INDEX} ON documents_carrier "
                          "USING gin (secrecy_grams(title, doc_number))")


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
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(pg_indexes, pg_indexes_back),
    ]
