"""Indexes for the household search (grids.search), measured at district scale (1.67 M
residents, 601 k households; issue 27):

- a resident's name by its start (people type the full name or the surname): a btree with
  varchar_pattern_ops (the database's C.UTF-8 collation is not "C" to the planner, so a
  plain btree would not serve LIKE), holding the household too: a surname matches tens of
  thousands of residents, read from the index alone (an index-only scan) without their rows;
- the same by household, for a search with many matches (a surname in the district): the
  list is walked in order and each household tested by one probe of this index, where
  reading every match first would read tens of thousands of rows;
- an address: a pg_trgm GIN index on UPPER(address) (the form ``address__icontains`` and
  ``__istartswith`` ask for; pg_trgm extracts trigrams from Chinese text). Any part from three
  characters; the start of it from one (the trigrams of a start are padded), so a btree for
  short starts would add nothing.

Then ANALYZE: the planner knows nothing of UPPER(address) until it has statistics for the
indexed expression, and would scan every household for a pattern it thinks common.

The last four digits of a mobile and the ID number's hash have their indexes already (0007).

PostgreSQL only: built CONCURRENTLY (a district keeps writing while they build), outside a
transaction; on SQLite (``make run``) this migration does nothing, and the search falls back
to scanning, which a demo does not notice. Not in the models' Meta: SQLite rebuilds a table
from its Meta indexes, and cannot create these.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "resident_name_prefix": (
        "grids_resident",
        "btree (name varchar_pattern_ops, household_id)",
    ),
    "resident_household_name": (
        "grids_resident",
        "btree (household_id, name varchar_pattern_ops)",
    ),
    "household_address_trgm": (
        "grids_household",
        "gin ((upper((address)::text)) gin_trgm_ops)",
    ),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, definition) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING {definition}"
        )
    schema_editor.execute("ANALYZE grids_household, grids_resident")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("grids", "0007_encrypt_personal_data")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
