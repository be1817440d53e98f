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

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


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


def create_all(model: type[models.Model], objs: list, *, batch_size: int = 5000) -> list:
    """``bulk_create`` through COPY on PostgreSQL: the same rows (each field's ``pre_save``
    and prepared value, as ``bulk_create`` computes them: defaults, timestamps, encrypted
    and derived columns), ids drawn from the table's sequence first and set on the objects,
    so rows that point to them can follow. No signals, as with ``bulk_create``."""
    if connection.vendor != "postgresql" or not objs:
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    fields = list(meta.concrete_fields)
    for obj in objs:
        # A related object saved since this one was built: its id into the key column (what
        # bulk_create does first).
        obj._prepare_related_fields_for_save(operation_name="create_all")
    missing = [obj for obj in objs if obj.pk is None]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(missing)],
            )
            for obj, (pk,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = pk
    # The connection itself, not the proxy: each attribute read through ``connection`` costs
    # a thread-local lookup, millions of them here.
    db = connections[DEFAULT_DB_ALIAS]
    table = db.ops.quote_name(meta.db_table)
    names = ", ".join(db.ops.quote_name(field.column) for field in fields)
    # Names come from the model's metadata, not from input.
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row(
                [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]
            )
            obj._state.adding, obj._state.db = False, db.alias
    return objs
