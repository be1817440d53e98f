"""The audit log is append-only in the database itself, as the points ledger is
(points/migrations/0002 and 0006): UPDATE, DELETE and TRUNCATE of auditlog_logentry raise,
whoever runs them (an admin shell, a bad migration, a bug), with three narrow exceptions:

- the retention purge (``core.retention``) deletes entries, in a transaction that ran
  ``SET LOCAL auditlog.purge = on``, and only entries older than three years: the floor is
  here, so not even a purge configured wrongly can go below it;
- an entry written without an actor may be given one, and the entries of a deleted user lose
  the link to them (the FK is SET NULL; ``actor_email`` keeps who it was): nothing else of an
  entry ever changes (tickets/joint.py names the recorder of a joint action after the fact);
- TRUNCATE in a transaction that ran ``SET LOCAL auditlog.allow_truncate = on`` (the tests'
  flush, ``core.models.ALLOW_AUDIT_TRUNCATE``).

PostgreSQL only: production runs on it; SQLite, the laptop default, gets no trigger.
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION auditlog_logentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (to_jsonb(NEW) - 'actor_id' - 'actor_email')
               = (to_jsonb(OLD) - 'actor_id' - 'actor_email')
           AND (OLD.actor_id IS NULL OR NEW.actor_id IS NULL)
           AND (OLD.actor_email IS NULL OR NEW.actor_email IS NOT DISTINCT FROM OLD.actor_email)
        THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF coalesce(current_setting('auditlog.purge', true), '') = 'on'
           AND OLD.timestamp < now() - interval '3 years' THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'auditlog_logentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation',
        HINT = 'Only the retention purge deletes entries, and only those over three years old.';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditlog_logentry_no_update BEFORE UPDATE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION auditlog_logentry_append_only();
CREATE TRIGGER auditlog_logentry_no_delete BEFORE DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION auditlog_logentry_append_only();

CREATE OR REPLACE FUNCTION auditlog_logentry_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('auditlog.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'TRUNCATE of auditlog_logentry is refused: the audit log is append-only'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditlog_logentry_no_truncate BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog_logentry_no_truncate();
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS auditlog_logentry_no_update ON auditlog_logentry;
DROP TRIGGER IF EXISTS auditlog_logentry_no_delete ON auditlog_logentry;
DROP TRIGGER IF EXISTS auditlog_logentry_no_truncate ON auditlog_logentry;
DROP FUNCTION IF EXISTS auditlog_logentry_append_only();
DROP FUNCTION IF EXISTS auditlog_logentry_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNDO)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_retention"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
