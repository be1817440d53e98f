"""The ledger is append-only in the database itself, not only in the code: UPDATE and DELETE
on points_entry raise, whoever runs them (an admin shell, a bad migration, a bug)."""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'points_entry is append-only: post a reversal instead'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER points_entry_no_update BEFORE UPDATE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only();
CREATE TRIGGER points_entry_no_delete BEFORE DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only();
-- TRUNCATE skips row triggers: 0006 refuses it with a statement trigger.
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS points_entry_no_update ON points_entry;
DROP TRIGGER IF EXISTS points_entry_no_delete ON points_entry;
DROP FUNCTION IF EXISTS points_entry_append_only();
"""
# SQLite (the laptop default) empties tables with DELETE, which a delete trigger would stop:
# there only UPDATE is refused. Production runs on PostgreSQL.
SQLITE = [
    """CREATE TRIGGER points_entry_no_update BEFORE UPDATE ON points_entry
       BEGIN SELECT RAISE(ABORT, 'points_entry is append-only: post a reversal instead'); END""",
]
SQLITE_UNDO = ["DROP TRIGGER IF EXISTS points_entry_no_update"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES] if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = (
        [POSTGRES_UNDO] if vendor == "postgresql" else SQLITE_UNDO if vendor == "sqlite" else []
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_ledger")]

    operations = [migrations.RunPython(forwards, backwards)]
