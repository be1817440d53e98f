"""Indexes for the household search (grids.search), measured at district scale (1.67 M
residents, 601 k households; issue 27):

- a resident's name by its start (people type the full name or the surname): a btree with
  varchar_pattern_ops (the database's C.UTF-8 collation is not "C" to the planner, so a
  plain btree would not serve LIKE), holding the household too: a surname matches tens of
  thousands of residents, read from the index alone (an index-only scan) without their rows;
- the same by household, for a search with many matches (a surname in the district): the
  list is walked in order and each household tested by one probe of this index, where
  reading every match first would read tens of thousands of rows;
- any part of an address from three characters: a pg_trgm GIN index on UPPER(address) (the
  form ``address__icontains`` asks for; pg_trgm extracts trigrams from Chinese text);
- one or two characters, the start of an address: a btree like the name's.

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
    "household_address_prefix": (
        "grids_household",
        "btree ((upper((address)::text)) text_pattern_ops)",
    ),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, definition) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING {definition}"
        )


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
