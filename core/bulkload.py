"""Many rows into one table fast: ``COPY … FROM STDIN`` on PostgreSQL, ``bulk_create``
elsewhere.

``bulk_create`` prepares every value through its field and builds one long INSERT per
batch: about 250 µs a row, which is most of a rollup rebuild or a district seed (millions of
rows). COPY takes the values as they are, a few µs a row. The caller passes values as the
column stores them (ids for foreign keys, the prepared value of an encrypted field), and
nothing of the model runs: no ``save()``, no signals, no field defaults for columns left out
(the database's own defaults apply).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def load_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples of values in the order of ``fields``); returns how many."""
    found = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        names = [field.attname for field in found]
        made = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model.objects.bulk_create(made, batch_size=2000)
        return len(made)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in found)
    count = 0
    # Names come from the model's metadata, not from input.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
