"""TRUNCATE skips the row triggers of 0002, so one statement (by hand, in a script, or cascading
from a table the ledger refers to) could still empty the ledger. A statement trigger refuses it
unless the transaction set ``points.allow_truncate`` first (``points.models.ALLOW_TRUNCATE``):
wiping the ledger stays possible, but only on purpose (README, "The ledger"). Django's test
flush sets it (tests/conftest.py).

PostgreSQL only: SQLite has no TRUNCATE, and there this migration does nothing.
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION points_entry_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('points.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'TRUNCATE of points_entry is refused: the ledger is append-only'
        USING ERRCODE = 'restrict_violation',
              HINT = 'Post reversals to correct entries. To empty the ledger on purpose, run '
                     '"SET LOCAL points.allow_truncate = on" in the same transaction first.';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER points_entry_no_truncate BEFORE TRUNCATE ON points_entry
    FOR EACH STATEMENT EXECUTE FUNCTION points_entry_no_truncate();
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS points_entry_no_truncate ON points_entry;
DROP FUNCTION IF EXISTS points_entry_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNDO)


class Migration(migrations.Migration):
    dependencies = [("points", "0005_private_photo")]

    operations = [migrations.RunPython(forwards, backwards)]
