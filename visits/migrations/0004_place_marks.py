"""A place's change (a patrol moving its ``last_visited_at``, a place added, renamed or closed)
marks its grid for the visits page's version (``visits.page_cache``), as grids' migration 0010
marks households: ``listed = false``, since the household and resident lists do not show
places. PostgreSQL only: elsewhere the page is not kept."""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION grids_place_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('grid.bulk_load', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT DISTINCT grid_id, false FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT DISTINCT grid_id, false FROM (
            SELECT o.grid_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o IS DISTINCT FROM n
            UNION SELECT n.grid_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o IS DISTINCT FROM n
        ) AS g;
    ELSE
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT DISTINCT grid_id, false FROM old_rows;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER grids_place_mark_insert AFTER INSERT ON grids_place
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_place_mark();
CREATE TRIGGER grids_place_mark_update AFTER UPDATE ON grids_place
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_place_mark();
CREATE TRIGGER grids_place_mark_delete AFTER DELETE ON grids_place
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_place_mark();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS grids_place_mark_insert ON grids_place;
DROP TRIGGER IF EXISTS grids_place_mark_update ON grids_place;
DROP TRIGGER IF EXISTS grids_place_mark_delete ON grids_place;
DROP FUNCTION IF EXISTS grids_place_mark();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("visits", "0003_visitplan_area"), ("grids", "0010_register_marks")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
