"""Model fields for personal data at rest (core.crypto).

``EncryptedCharField`` keeps a value encrypted in the database and plain on the instance.
Its ``DigestField`` (the keyed hash) and, for mobiles, ``Last4Field`` are filled from it on
every save, bulk_create and (through ``EncryptedQuerySet``) bulk_update, so callers never
write them. ``filter(phone=…)`` and ``phone__in`` keep working: the lookup is answered by the
hash column, under every configured hash key. Any other lookup (``__endswith``,
``__icontains``) raises FieldError at once, as a ciphertext cannot answer it; the last four
digits of a mobile are searched with ``phone_last4``.

``KeyedChoiceField`` stores a choice (a care category) as a deterministic keyed token and
reads it back as the choice, so filters, ``values()``, GROUP BY and counts work unchanged
while a dump shows no category. Deterministic on purpose: equal values have equal tokens,
which is what lets the database count and group them, and also lets someone with a dump see
that two residents share a category (not which one). Ordering by it follows the tokens.

Blank stays blank ('' in the database): "has a mobile" stays a query, and an empty value is
not personal data.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet, FieldError
from django.db import connections, models, router, transaction
from django.db.models import Lookup
from django.utils.functional import cached_property

from core import crypto

logger = logging.getLogger(__name__)


def column_label(field: models.Field) -> str:
    return f"{field.model._meta.label}.{field.name}"


class Unreadable(str):
    """A stored value no configured key decrypts (tampered, or its key was dropped): shown
    blank, and written back unchanged if the row is saved, so that a save never destroys it."""

    ciphertext: str

    def __new__(cls, ciphertext: str):
        text = super().__new__(cls, "")
        text.ciphertext = ciphertext
        return text


def companions(model, source: str, kind: type) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, kind) and field.source == source
    ]


class _StoredIn(Lookup):
    """``field = value`` / ``field IN (values)`` of a value stored under a key: compared with
    every form the values may be stored in (one per configured key), in the column
    ``column(field)`` returns."""

    prepare_rhs = False
    can_use_none_as_rhs = False
    what = ""

    def get_prep_lookup(self):
        return self.rhs

    def values(self) -> list:
        return [self.rhs]

    def stored_forms(self, field) -> tuple[object, list[str]]:
        """The column to compare and the stored forms of ``self.values()``."""
        raise NotImplementedError

    def as_sql(self, compiler, connection):
        field = getattr(self.lhs, "target", None)
        if hasattr(self.rhs, "resolve_expression") or field is None:
            raise FieldError(f"{self.lhs}: {self.what} is compared with values only")
        column, stored = self.stored_forms(field)
        if not stored:
            raise EmptyResultSet
        sql, params = compiler.compile(column)
        return f"{sql} IN ({', '.join(['%s'] * len(stored))})", [*params, *stored]


class _ListIn(_StoredIn):
    lookup_name = "in"

    def values(self) -> list:
        return [value for value in self.rhs if value is not None]


class _ByDigest(_StoredIn):
    """An encrypted field looked up by its hash column."""

    what = "an encrypted field"

    def stored_forms(self, field):
        found = companions(field.model, field.name, DigestField)
        if not found:
            raise FieldError(f"{column_label(field)} has no DigestField to look it up by")
        purpose = found[0].purpose
        stored = sorted(
            {d for value in self.values() for d in crypto.digests(str(value), purpose=purpose)}
        )
        return found[0].get_col(self.lhs.alias), stored


class DigestExact(_ByDigest):
    lookup_name = "exact"


class DigestIn(_ListIn, _ByDigest):
    pass


class EncryptedCharField(models.CharField):
    """A short personal value (ID number, mobile), AES-GCM encrypted in a text column;
    ``max_length`` limits the plain value."""

    description = "Text encrypted at rest (AES-GCM)"

    def get_internal_type(self) -> str:
        return "TextField"

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return DigestExact
        if lookup_name == "in":
            return DigestIn
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None  # FieldError: "Unsupported lookup … for EncryptedCharField"

    def get_transform(self, lookup_name):
        return None

    def get_prep_value(self, value):
        if isinstance(value, Unreadable):
            return value.ciphertext
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, column=self.label)

    @cached_property
    def label(self) -> str:
        """The associated data of its values: ``app.Model.field``."""
        return column_label(self)

    def from_db_value(self, value, expression, connection):
        if not value or not value.startswith(crypto.PREFIX):
            return value  # blank, or a row written before encryption (rotate_field_keys)
        try:
            return crypto.decrypt(value, column=self.label)
        except crypto.DecryptionError as exc:
            logger.error("undecryptable value: %s", exc)
            return Unreadable(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "core.fields.EncryptedCharField", args, kwargs


class _Companion(models.CharField):
    """A column computed from ``source`` as the row is written."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def compute(self, value: str) -> str:
        raise NotImplementedError

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        if isinstance(value, Unreadable):
            return getattr(model_instance, self.attname)  # unknown: keep what was there
        computed = self.compute(value or "")
        setattr(model_instance, self.attname, computed)
        return computed

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in ("editable", "blank", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs


class DigestField(_Companion):
    """``<hash key id>:<HMAC-SHA256 hex>`` of an encrypted field, for exact lookups."""

    def __init__(self, *args, source: str, purpose: str, **kwargs):
        self.purpose = purpose
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, source=source, **kwargs)

    def compute(self, value: str) -> str:
        return crypto.digest(value, purpose=self.purpose)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        kwargs.pop("max_length", None)
        return name, "core.fields.DigestField", args, kwargs


class Last4Field(_Companion):
    """The last four characters of an encrypted mobile, for the "last 4 digits" search (what
    a masked mobile shows anyway)."""

    def __init__(self, *args, source: str, **kwargs):
        kwargs.setdefault("max_length", 4)
        super().__init__(*args, source=source, **kwargs)

    def compute(self, value: str) -> str:
        return value[-4:]

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, "core.fields.Last4Field", args, kwargs


class _ByToken(_StoredIn):
    """A keyed choice looked up by the tokens of the values."""

    what = "a keyed choice"

    def stored_forms(self, field):
        _back, forth = field.tables()
        return self.lhs, sorted({t for value in self.values() for t in forth.get(str(value), ())})


class TokenExact(_ByToken):
    lookup_name = "exact"


class TokenIn(_ListIn, _ByToken):
    pass


class KeyedChoiceField(models.CharField):
    """A choice stored as ``<hash key id>:<keyed token>``, read back as the choice."""

    description = "A choice stored as a keyed token"

    def tables(self):
        return crypto.choice_tables(
            column_label(self), tuple(str(value) for value, _label in self.flatchoices)
        )

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return TokenExact
        if lookup_name == "in":
            return TokenIn
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def get_transform(self, lookup_name):
        return None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.token(value, column=column_label(self))

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        back, forth = self.tables()
        if value in back:
            return back[value]
        if value not in forth:  # a plain choice not yet tokenised reads as itself
            logger.error("unknown token in %s", column_label(self))
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "core.fields.KeyedChoiceField", args, kwargs


def _with_companions(model, fields: Iterable[str]) -> list[str]:
    fields = list(fields)
    for name in list(fields):
        for companion in companions(model, name, _Companion):
            if companion.name not in fields:
                fields.append(companion.name)
    return fields


class EncryptedModel(models.Model):
    """Saving with ``update_fields`` that name an encrypted field writes its companions too."""

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            update_fields = _with_companions(type(self), update_fields)
        super().save(*args, update_fields=update_fields, **kwargs)


def fill_companions(model, objs: Iterable, fields: Iterable[str]) -> list[str]:
    """``fields`` plus the companions of the encrypted ones, computed on each of ``objs``:
    for writes that bypass ``save()`` (bulk_update, a hand-written UPDATE)."""
    fields = list(fields)
    expanded = _with_companions(model, fields)
    added = [model._meta.get_field(name) for name in expanded if name not in fields]
    if added:
        for obj in objs:
            for companion in added:
                companion.pre_save(obj, False)
    return expanded


class EncryptedQuerySet(models.QuerySet):
    """``bulk_update`` that names an encrypted field recomputes and writes its companions."""

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        fields = fill_companions(self.model, objs, fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)


# Rotation ---------------------------------------------------------------------------------


def protected_models() -> list:
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if any(
            isinstance(f, EncryptedCharField | KeyedChoiceField)
            for f in model._meta.concrete_fields
        )
    ]


def _plan(model):
    """[(column, how, field)] of the columns a rotation rewrites, and the staleness SQL."""
    ring = crypto.keyring()
    enc_prefix = f"{crypto.VERSION}:{ring.current}:"
    hash_prefix = f"{ring.current_hash}:"
    qn = connections[router.db_for_write(model)].ops.quote_name
    columns: list[tuple[str, str, models.Field]] = []
    stale: list[str] = []
    params: list[str] = []
    for field in model._meta.concrete_fields:
        col = qn(field.column)
        if isinstance(field, EncryptedCharField):
            columns.append((field.column, "encrypted", field))
            checks = [f"substr({col}, 1, %s) <> %s"]
            params += [len(enc_prefix), enc_prefix]
            for companion in companions(model, field.name, _Companion):
                columns.append((companion.column, "companion", companion))
                if isinstance(companion, DigestField):
                    checks.append(f"substr({qn(companion.column)}, 1, %s) <> %s")
                    params += [len(hash_prefix), hash_prefix]
                else:
                    checks.append(f"{qn(companion.column)} = ''")
            stale.append(f"({col} <> '' AND ({' OR '.join(checks)}))")
        elif isinstance(field, KeyedChoiceField):
            columns.append((field.column, "token", field))
            stale.append(f"({col} <> '' AND substr({col}, 1, %s) <> %s)")
            params += [len(hash_prefix), hash_prefix]
    return columns, " OR ".join(stale), params


def reencrypt(model, *, batch: int = 500, using: str | None = None) -> Counter:
    """Rewrite the rows of ``model`` not under the current keys (plain values left by a
    migration included): ``rewritten``, ``raced`` (changed meanwhile by someone else, whose
    save used the current keys) and ``unreadable`` (left as they are) rows.

    Each row is updated only if it still holds what was read, so a concurrent edit is never
    overwritten and the app keeps running; each batch is its own short transaction. A second
    run finds nothing to do. ``model`` may be a migration's historical model."""
    counts: Counter = Counter()
    columns, stale, params = _plan(model)
    if not columns:
        return counts
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    names = [name for name, _how, _field in columns]
    select = (
        f"SELECT {pk}, {', '.join(qn(n) for n in names)} FROM {table} "  # noqa: S608 - quoted names of our own columns
        f"WHERE {pk} > %s AND ({stale}) ORDER BY {pk} LIMIT %s"
    )
    last = None
    while True:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"SELECT MIN({pk}) - 1 FROM {table}")  # noqa: S608 - quoted names of our own columns
                last = cursor.fetchone()[0]
                if last is None:
                    return counts
            cursor.execute(select, [last, *params, batch])
            rows = cursor.fetchall()
            for row in rows:
                last = row[0]
                old = dict(zip(names, row[1:], strict=True))
                new = _rewritten(model, columns, old)
                if new is None:
                    counts["unreadable"] += 1
                    continue
                changed = {name: value for name, value in new.items() if value != old[name]}
                if not changed:
                    continue
                sets = ", ".join(f"{qn(name)} = %s" for name in changed)
                where = " AND ".join(f"{qn(name)} = %s" for name in changed)
                cursor.execute(
                    f"UPDATE {table} SET {sets} WHERE {pk} = %s AND {where}",  # noqa: S608 - quoted names of our own columns
                    [*changed.values(), last, *(old[name] for name in changed)],
                )
                counts["rewritten" if cursor.rowcount else "raced"] += 1
        if len(rows) < batch:
            return counts


def _rewritten(model, columns, old: dict) -> dict | None:
    new = dict(old)
    plain: dict[str, str] = {}
    for name, how, field in columns:
        stored = old[name]
        if how == "encrypted" and stored:
            if crypto.is_encrypted(stored):
                try:
                    value = crypto.decrypt(stored, column=column_label(field))
                except crypto.DecryptionError as exc:
                    logger.error("not rotated: %s", exc)
                    return None
            else:
                value = stored
            plain[field.name] = value
            new[name] = field.get_prep_value(value)
        elif how == "companion":
            source_value = plain.get(field.source, "")
            if source_value or old[model._meta.get_field(field.source).column] == "":
                new[name] = field.compute(source_value)
        elif how == "token" and stored:
            back, forth = field.tables()
            value = back.get(stored, stored if stored in forth else None)
            if value is None:
                logger.error("not rotated: unknown token in %s", column_label(field))
                return None
            new[name] = field.get_prep_value(value)
    return new


def rotate_all(*, batch: int = 500) -> dict[str, Counter]:
    return {model._meta.label: reencrypt(model, batch=batch) for model in protected_models()}


def decrypt_to_plain(model, *, using: str | None = None) -> int:
    """Undo: write every encrypted value and token of ``model`` back in plain (a migration's
    reverse). Returns the rows written."""
    columns, _stale, _params = _plan(model)
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    plain_columns = [(n, how, f) for n, how, f in columns if how in ("encrypted", "token")]
    if not plain_columns:
        return 0
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {', '.join(qn(n) for n, _h, _f in plain_columns)} FROM {table}"  # noqa: S608 - quoted names of our own columns
        )
        rows = cursor.fetchall()
        for row in rows:
            values = []
            for (_name, how, field), stored in zip(plain_columns, row[1:], strict=True):
                if how == "encrypted" and stored and crypto.is_encrypted(stored):
                    stored = crypto.decrypt(stored, column=column_label(field))
                elif how == "token" and stored:
                    stored = field.tables()[0].get(stored, stored)
                values.append(stored)
            sets = ", ".join(f"{qn(n)} = %s" for n, _h, _f in plain_columns)
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [*values, row[0]])  # noqa: S608 - quoted names of our own columns
            written += 1
    return written
