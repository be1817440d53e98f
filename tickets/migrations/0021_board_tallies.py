"""The dispatch board's kept counts (issue 27): ``tickets_boardtally`` holds signed changes to
each area's tab counts, written by a trigger on tickets_ticket in the same transaction as the
write, whoever makes it (services, the sweep, imports, bench/generate.py's raw SQL).

The tabs' conditions here are those of ``tickets.selectors.view_filter``;
tests/tickets/test_board_tallies.py proves they agree after every kind of transition, and the
nightly ``refresh_board_tallies`` recounts by ``view_filter`` itself.

PostgreSQL only: SQLite, the laptop default, gets no trigger and the board counts live there.
The backfill reads the open and resolved requests once (by the status index): a second or
two at two million requests, during which writes to tickets_ticket wait (the table is locked
from the trigger's creation to the commit, so that no write slips between the two).
"""

import django.db.models.deletion
from django.db import migrations, models

TABS = "ARRAY['submitted', 'accepted', 'assigned', 'in_progress', 'suspended']"

POSTGRES = f"""
LOCK TABLE tickets_ticket IN SHARE ROW EXCLUSIVE MODE;

-- A request's membership of the kept tabs, 1 or 0 each, in the order of the tally's columns:
-- new, unassigned, review, escalated, open (tickets.selectors.view_filter).
CREATE OR REPLACE FUNCTION tickets_board_tabs(t tickets_ticket) RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[
        (t.status = 'submitted')::int,
        (t.status = 'accepted' AND t.assignee_id IS NULL AND t.department_id IS NULL)::int,
        (t.status = 'resolved')::int,
        (t.escalation_level > 0 AND t.acknowledged_at IS NULL
            AND t.status = ANY({TABS}))::int,
        (t.status = ANY({TABS}))::int
    ]
$$;

-- Inserts only: a shared counter row per grid would queue concurrent transitions in that grid
-- behind each other until commit, and deadlock transactions that touch two grids in opposite
-- orders. tickets.board_tallies.fold sums each area's rows into one.
CREATE OR REPLACE FUNCTION tickets_board_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was int[] := '{{0,0,0,0,0}}';
    now_ int[] := '{{0,0,0,0,0}}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := tickets_board_tabs(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        now_ := tickets_board_tabs(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.area_id = NEW.area_id THEN
        IF was <> now_ THEN
            INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
            VALUES (NEW.area_id, now_[1] - was[1], now_[2] - was[2], now_[3] - was[3],
                    now_[4] - was[4], now_[5] - was[5]);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND was <> '{{0,0,0,0,0}}' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (OLD.area_id, -was[1], -was[2], -was[3], -was[4], -was[5]);
    END IF;
    IF TG_OP <> 'DELETE' AND now_ <> '{{0,0,0,0,0}}' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (NEW.area_id, now_[1], now_[2], now_[3], now_[4], now_[5]);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_ticket_board_tally AFTER INSERT OR DELETE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_board_tally();
-- Most saves change nothing the tabs read (a note, a deadline, the sweep's bookkeeping): the
-- WHEN clause keeps the function from even being called for them.
CREATE TRIGGER tickets_ticket_board_tally_update AFTER UPDATE ON tickets_ticket
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.area_id IS DISTINCT FROM NEW.area_id
        OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
        OR OLD.department_id IS DISTINCT FROM NEW.department_id
        OR OLD.escalation_level IS DISTINCT FROM NEW.escalation_level
        OR (OLD.acknowledged_at IS NULL) <> (NEW.acknowledged_at IS NULL)
    )
    EXECUTE FUNCTION tickets_board_tally();

CREATE OR REPLACE FUNCTION tickets_board_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tickets_boardtally;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_ticket_board_tally_truncate AFTER TRUNCATE ON tickets_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_board_tally_truncate();

INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
SELECT area_id, sum(tabs[1]), sum(tabs[2]), sum(tabs[3]), sum(tabs[4]), sum(tabs[5])
FROM (
    SELECT t.area_id, tickets_board_tabs(t) AS tabs
    FROM tickets_ticket t
    WHERE t.status = ANY({TABS} || 'resolved'::text)
) AS counted
GROUP BY area_id;
"""

POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS tickets_ticket_board_tally ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_board_tally_update ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_board_tally_truncate ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_board_tally();
DROP FUNCTION IF EXISTS tickets_board_tally_truncate();
DROP FUNCTION IF EXISTS tickets_board_tabs(tickets_ticket);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNDO)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0007_encrypt_personal_data"),
        ("tickets", "0020_photo_processed"),
    ]

    operations = [
        migrations.CreateModel(
            name="BoardTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("new", models.IntegerField(default=0)),
                ("unassigned", models.IntegerField(default=0)),
                ("review", models.IntegerField(default=0)),
                ("escalated", models.IntegerField(default=0)),
                ("open", models.IntegerField(default=0)),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="grids.area",
                        verbose_name="area",
                    ),
                ),
            ],
            options={
                "verbose_name": "board tally",
                "verbose_name_plural": "board tallies",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
