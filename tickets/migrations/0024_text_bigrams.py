"""An index for the board's free-text search (issue 27): a request's description and location as
the set of their two-character pieces, in a GIN index (``tickets.search``).

Chinese searches are mostly two characters ("楼道", "电梯"), which pg_trgm cannot index (a
pattern of two characters holds no trigram), and a scan of every request's text took 470 ms
at district scale (2 M requests) for a search that matches little or nothing. Any search of
two characters or more is answered from this index, then checked against the text itself.

PostgreSQL only, built CONCURRENTLY (a district keeps writing while it builds) and outside a
transaction, then ANALYZE so that the planner knows how common each piece is: a common one
("电梯") is answered faster by walking the newest requests until a page is found. SQLite
(``make run``) gets nothing and keeps scanning, which a demo does not notice.
"""

from django.db import migrations

# Every two-character piece of a text, once each (an empty array for a text of one character).
FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM generate_series(1, char_length(t) - 1) AS i
$$;
"""

# The expression tickets.search.TEXT writes: the two columns the board searches, upper-cased
# as Django's icontains compares them, joined by a character no search holds.
INDEX = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_text_bigrams ON tickets_ticket
USING gin (tickets_bigrams(upper(description || chr(31) || address)))
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)
    schema_editor.execute("ANALYZE tickets_ticket")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS ticket_text_bigrams")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_bigrams(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0023_board_touch")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
