"""The board's tally rows also mark every change a board shows (issue 27): the rendered board is
kept per version of its scope's rows (``tickets.board_cache``), so a change that moves no
request between tabs (a new description, a deadline, an assignee's swap) must still add a
row, of zeros. The sweep's bookkeeping (``next_check_at``, ``checked_until``) still adds none.

PostgreSQL only, as 0021.
"""

from django.db import migrations

# What the board reads, orders by or shows of a request (tickets.rows.SLIM, _row.html): a
# change to any of these changes some board's page. ``version`` and ``updated_at`` move on
# every save through the services; the others catch writes that go around them.
SHOWN = (
    "status",
    "area_id",
    "assignee_id",
    "department_id",
    "unit_id",
    "matter_id",
    "escalation_level",
    "version",
    "updated_at",
    "short_code",
    "response_due",
    "completion_due",
    "submitted_at",
    "description",
    "address",
)
WHEN = "\n        OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in SHOWN)

FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_board_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was int[] := '{0,0,0,0,0}';
    now_ int[] := '{0,0,0,0,0}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was := tickets_board_tabs(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        now_ := tickets_board_tabs(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.area_id = NEW.area_id THEN
        -- A row even when no tab moved (all zeros): the change is shown, so the version of
        -- the area's boards moves.
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (NEW.area_id, now_[1] - was[1], now_[2] - was[2], now_[3] - was[3],
                now_[4] - was[4], now_[5] - was[5]);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (OLD.area_id, -was[1], -was[2], -was[3], -was[4], -was[5]);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (NEW.area_id, now_[1], now_[2], now_[3], now_[4], now_[5]);
    END IF;
    RETURN NULL;
END;
$$;
"""

FORWARDS = f"""
{FUNCTION}
DROP TRIGGER IF EXISTS tickets_ticket_board_tally_update ON tickets_ticket;
CREATE TRIGGER tickets_ticket_board_tally_update AFTER UPDATE ON tickets_ticket
    FOR EACH ROW WHEN (
        {WHEN}
        OR (OLD.acknowledged_at IS NULL) <> (NEW.acknowledged_at IS NULL)
    )
    EXECUTE FUNCTION tickets_board_tally();
"""

OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_board_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was int[] := '{0,0,0,0,0}';
    now_ int[] := '{0,0,0,0,0}';
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
    IF TG_OP <> 'INSERT' AND was <> '{0,0,0,0,0}' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (OLD.area_id, -was[1], -was[2], -was[3], -was[4], -was[5]);
    END IF;
    IF TG_OP <> 'DELETE' AND now_ <> '{0,0,0,0,0}' THEN
        INSERT INTO tickets_boardtally (area_id, new, unassigned, review, escalated, open)
        VALUES (NEW.area_id, now_[1], now_[2], now_[3], now_[4], now_[5]);
    END IF;
    RETURN NULL;
END;
$$;
"""

BACKWARDS = f"""
{OLD_FUNCTION}
DROP TRIGGER IF EXISTS tickets_ticket_board_tally_update ON tickets_ticket;
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0022_board_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
