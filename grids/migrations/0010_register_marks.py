"""The household and resident lists' version (issue 27): each change to what they show inserts
a mark for its grid (``RegisterMark``), in the writing transaction, and the lists are kept per
area and version (``grids.list_cache``). Triggers catch every write: the services', an
import's ``bulk_create``, a ``QuerySet.update`` or a retention job's; Python signals would
miss the last three.

- households, residents and care categories: one mark per grid a statement touched (statement
  triggers over the transition tables, so a bulk write costs one INSERT, not one per row);
  a resident's grid is its household's, a care category's its resident's;
- a household's update that changes only what the visits page alone shows
  (``last_visited_at`` and ``visit_due_on``, moved on every logged visit, and ``updated_at``)
  is marked ``listed = false``: the lists' version skips it (each visit would otherwise throw
  away every kept list above its grid) and the visits page's counts it (``visits.page_cache``);
- a grid tally (the count above the list) marks its grid when its counts changed, not when
  the 15-minute recount rewrote the same numbers;
- nothing in a bulk load (``SET LOCAL grid.bulk_load = on``), as tickets' 0026.

Marks are only inserted (never an UPDATE of a shared row), so two writers in one grid never
wait for each other, nor for an import holding its transaction open. PostgreSQL only: elsewhere
the lists are not kept.
"""

import django.db.models.deletion
from django.db import migrations, models

VISITS_ONLY = ("last_visited_at", "visit_due_on", "updated_at")
UNSHOWN = " - ".join(f"'{column}'" for column in VISITS_ONLY)

# For each table: the grids of a set of its rows (a transition table named {rows}), each with
# whether a list shows the change (``listed``).
GRIDS_OF = {
    "grids_household": "SELECT grid_id, {listed} AS listed FROM {rows} AS h",
    "grids_resident": (
        "SELECT h.grid_id, true AS listed FROM {rows} r"
        " JOIN grids_household h ON h.id = r.household_id"
    ),
    "grids_residentcare": (
        "SELECT h.grid_id, true AS listed FROM {rows} c"
        " JOIN grids_resident r ON r.id = c.resident_id"
        " JOIN grids_household h ON h.id = r.household_id"
    ),
}
# An updated household shows on the lists unless only what the visits page shows changed.
UPDATED = {
    "grids_household": (
        f"(to_jsonb(o) - {UNSHOWN}) IS DISTINCT FROM (to_jsonb(n) - {UNSHOWN})",
        "listed",
    ),
}


def mark_function(table: str, grids_of: str, updated: tuple[str, str] | None = None) -> str:
    """A statement trigger's function marking the grids of the rows ``table``'s statement
    touched (``grids_of``: their grids from a set of rows; ``updated``: how an update says
    whether a list shows it, and the column the changed rows carry that in)."""
    listed, column = updated or ("true", "listed")
    changed = (
        "(SELECT {side}.*, {listed} AS {column} FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE o IS DISTINCT FROM n)"
    )
    old = grids_of.format(
        rows=changed.format(side="o", listed=listed, column=column), listed=column
    )
    new = grids_of.format(
        rows=changed.format(side="n", listed=listed, column=column), listed=column
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('grid.bulk_load', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT grid_id, bool_or(listed) FROM ({grids_of.format(rows="new_rows", listed="true")}) AS g
        GROUP BY grid_id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT grid_id, bool_or(listed) FROM ({old} UNION ALL {new}) AS g
        GROUP BY grid_id;
    ELSE
        INSERT INTO grids_registermark (grid_id, listed)
        SELECT grid_id, bool_or(listed) FROM ({grids_of.format(rows="old_rows", listed="true")}) AS g
        GROUP BY grid_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER {table}_mark_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_mark();
CREATE TRIGGER {table}_mark_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_mark();
CREATE TRIGGER {table}_mark_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_mark();
"""


def drop_marks(table: str) -> str:
    return (
        "".join(
            f"DROP TRIGGER IF EXISTS {table}_mark_{op} ON {table};\n"
            for op in ("insert", "update", "delete")
        )
        + f"DROP FUNCTION IF EXISTS {table}_mark();\n"
    )


TALLY = """
CREATE OR REPLACE FUNCTION grids_gridtally_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grids_registermark (grid_id) SELECT DISTINCT grid_id FROM new_rows;
    ELSE
        INSERT INTO grids_registermark (grid_id)
        SELECT DISTINCT n.grid_id FROM old_rows o JOIN new_rows n ON n.grid_id = o.grid_id
        WHERE (o.households, o.residents) IS DISTINCT FROM (n.households, n.residents);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER grids_gridtally_mark_insert AFTER INSERT ON grids_gridtally
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_gridtally_mark();
CREATE TRIGGER grids_gridtally_mark_update AFTER UPDATE ON grids_gridtally
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_gridtally_mark();
"""

FORWARDS = (
    "".join(mark_function(table, grids, UPDATED.get(table)) for table, grids in GRIDS_OF.items())
    + TALLY
)

BACKWARDS = (
    "".join(drop_marks(table) for table in GRIDS_OF)
    + """
DROP TRIGGER IF EXISTS grids_gridtally_mark_insert ON grids_gridtally;
DROP TRIGGER IF EXISTS grids_gridtally_mark_update ON grids_gridtally;
DROP FUNCTION IF EXISTS grids_gridtally_mark();
"""
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("grids", "0009_resident_not_living")]

    operations = [
        migrations.CreateModel(
            name="RegisterMark",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "grid",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grids.area",
                    ),
                ),
                ("listed", models.BooleanField(db_default=True, default=True)),
            ],
            options={
                "verbose_name": "register mark",
                "verbose_name_plural": "register marks",
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
