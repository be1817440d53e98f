"""Every change a request's page shows moves ``page_version`` (issue 27): its page is kept per
version (``tickets.page_cache``), so a note, a photo processed by the worker, a summons
reported on or a joint action recorded must move it as surely as a transition. Triggers catch
every write, the services' and those that go around them (``QuerySet.update``, ``bulk_create``,
a retention job); Python signals would miss those.

- a change to the request's own row moves it, except the sweep's bookkeeping alone
  (``next_check_at``, ``checked_until``), which no page shows: the sweep would otherwise throw
  away every kept page it looks at;
- an insert, update or delete of one of its events, photos, summonses or joint-action links
  moves it with an UPDATE of the request's row (which the BEFORE trigger then bumps), once
  per statement for all the requests it touched (statement triggers over the transition
  tables: a row trigger made the demo's seeding a quarter slower);
- except in a bulk load of new rows (``SET LOCAL grid.bulk_load = on``, bench/generate.py):
  an UPDATE per event of millions of new requests would double the load's writes, and no
  page of a request that did not exist is kept.

A save from Django writes the version it read, possibly older: the BEFORE trigger keeps the
larger, so the version never goes back. PostgreSQL only, as 0021 (elsewhere pages are not kept).
"""

from django.db import migrations, models

IGNORED = ("next_check_at", "checked_until", "page_version")
UNSHOWN = " - ".join(f"'{column}'" for column in IGNORED)
CHILDREN = ("tickets_event", "tickets_photo", "tickets_summons", "tickets_jointaction_tickets")

FORWARDS = f"""
CREATE OR REPLACE FUNCTION tickets_page_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(OLD) - {UNSHOWN}) IS DISTINCT FROM (to_jsonb(NEW) - {UNSHOWN}) THEN
        NEW.page_version := GREATEST(NEW.page_version, OLD.page_version + 1);
    ELSE
        NEW.page_version := GREATEST(NEW.page_version, OLD.page_version);
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_ticket_page_version BEFORE UPDATE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_page_version();

CREATE OR REPLACE FUNCTION tickets_page_version_of_children() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('grid.bulk_load', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE tickets_ticket SET page_version = page_version + 1
        WHERE id IN (SELECT ticket_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE tickets_ticket SET page_version = page_version + 1
        WHERE id IN (SELECT ticket_id FROM new_rows UNION SELECT ticket_id FROM old_rows);
    ELSE
        UPDATE tickets_ticket SET page_version = page_version + 1
        WHERE id IN (SELECT ticket_id FROM old_rows);
    END IF;
    RETURN NULL;
END;
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_page_version_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_page_version_of_children();
CREATE TRIGGER {table}_page_version_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_page_version_of_children();
CREATE TRIGGER {table}_page_version_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_page_version_of_children();
"""
    for table in CHILDREN
)

BACKWARDS = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_page_version_{op} ON {table};\n"
        for table in CHILDREN
        for op in ("insert", "update", "delete")
    )
    + """
DROP TRIGGER IF EXISTS tickets_ticket_page_version ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_page_version_of_children();
DROP FUNCTION IF EXISTS tickets_page_version();
"""
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0025_task_order")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="page_version",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
