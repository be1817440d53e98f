"""How long each kind of record is kept, and the nightly job that removes or anonymises what
has expired (PIPL art. 19 and 47: personal information is deleted once its purpose is served;
等保 2.0: network and audit logs kept at least six months, the district's rule three years).

Each app registers its kinds in its own ``retention.py`` (imported by ``CoreConfig.ready``):
a key, a label, the default and the minimum number of days (the legal floor), what is done
(removed or anonymised), ``expired(cutoff)``, the queryset of what a pass would touch, and
``purge(cutoff, batch)``, which does it. A purge works in short batches, each in its own
transaction, skipping rows a user holds locked (they are taken the next night), and touches
only what ``expired`` still returns: a second pass over the same cutoff does nothing.

District staff change the days on the retention page (``grids.privacy``); the kind's floor
bounds them. ``apply`` runs every kind and records a ``RetentionRun`` for the operations page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

BATCH = 500


class Action(models.TextChoices):
    REMOVED = "removed", _("removed")
    ANONYMISED = "anonymised", _("anonymised")


@dataclass(frozen=True)
class Kind:
    key: str
    label: Promise | str
    default_days: int
    minimum_days: int
    action: str
    expired: Callable[[dt.datetime], models.QuerySet]
    purge: Callable[[dt.datetime, int], int]
    # What is kept and what goes, in a sentence for the retention page.
    note: Promise | str = ""

    @property
    def action_label(self) -> str:
        return str(Action(self.action).label)


_kinds: dict[str, Kind] = {}


def register(
    *,
    key: str,
    label: Promise | str,
    default_days: int,
    minimum_days: int,
    action: str,
    expired: Callable[[dt.datetime], models.QuerySet],
    purge: Callable[[dt.datetime, int], int],
    note: Promise | str = "",
) -> None:
    if key in _kinds:
        raise ImproperlyConfigured(f"retention kind {key!r} registered twice")
    if default_days < minimum_days:
        raise ImproperlyConfigured(f"retention kind {key!r}: the default is below the floor")
    _kinds[key] = Kind(key, label, default_days, minimum_days, action, expired, purge, note)


def kinds() -> list[Kind]:
    return list(_kinds.values())


def kind(key: str) -> Kind:
    try:
        return _kinds[key]
    except KeyError:
        raise ImproperlyConfigured(f"No app registered the retention kind {key!r}") from None


def configured_days() -> dict[str, int]:
    """Each kind's days: the district's, else the default; never below the floor (a floor
    raised by a later release wins over a period set before it)."""
    from core.models import RetentionPolicy

    chosen = dict(RetentionPolicy.objects.values_list("kind", "days"))
    return {k.key: max(chosen.get(k.key, k.default_days), k.minimum_days) for k in _kinds.values()}


def days_for(key: str) -> int:
    return configured_days()[kind(key).key]


def validate_days(key: str, days: int) -> None:
    floor = kind(key).minimum_days
    if days < floor:
        raise ValidationError(
            {
                "days": _("At least %(floor)s days: the law or the district's rules require it.")
                % {"floor": floor}
            }
        )


def cutoff_for(days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)


def in_batches(
    expired: models.QuerySet,
    act: Callable[[models.QuerySet], int],
    batch: int,
    before: Callable[[], None] | None = None,
) -> int:
    """Run ``act`` over ``expired`` ``batch`` rows at a time, each batch its own transaction,
    until nothing expired is left. Rows a user holds locked are skipped, not waited for: the
    next night takes them. ``before`` runs first in each transaction (a ``SET LOCAL``)."""
    done = 0
    last = None
    while True:
        with transaction.atomic():
            if before is not None:
                before()
            # Onwards from the last batch's end: a row ``act`` could not change is not
            # taken again and again.
            rest = expired if last is None else expired.filter(pk__gt=last)
            pks = list(
                rest.order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:batch]
            )
            if not pks:
                return done
            done += act(expired.model._base_manager.filter(pk__in=pks))
        last = pks[-1]
        if len(pks) < batch:
            return done


# Companions another field may carry (an encrypted column's search hash, the last four digits
# kept for display): blanking a field blanks those too, whichever the model has.
COMPANIONS = ("_hash", "_last4")


def blanked(model: type[models.Model], names: tuple[str, ...]) -> dict[str, object]:
    """``update()`` arguments emptying ``names`` of ``model`` and their companions: '' for a
    text field, NULL where the field allows it."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    values = {}
    for name in names:
        for field_name in (name, *(name + suffix for suffix in COMPANIONS)):
            field = fields.get(field_name)
            if field is not None:
                values[field_name] = None if field.null else ""
    return values


def delete_photos(rows: models.QuerySet) -> int:
    """Delete photo rows (a ``PrivatePhoto``) and, once that is committed, their files: a
    rolled-back batch leaves no row pointing at a missing file."""
    storage = rows.model._meta.get_field("image").storage
    names = [name for name in rows.values_list("image", flat=True) if name]
    count, _per_model = rows.delete()

    def remove_files() -> None:
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # an orphan file is logged, not a failed batch
                logger.warning("retention: could not delete the file %s", name, exc_info=True)

    transaction.on_commit(remove_files)
    return count


def preview(now: dt.datetime | None = None) -> list[tuple[Kind, int, dt.datetime, int]]:
    """What a pass would do now, changing nothing: (kind, days, cutoff, rows) per kind."""
    now = now or timezone.now()
    days = configured_days()
    rows = []
    for k in _kinds.values():
        cutoff = cutoff_for(days[k.key], now)
        rows.append((k, days[k.key], cutoff, k.expired(cutoff).count()))
    return rows


def apply(*, batch: int = BATCH, now: dt.datetime | None = None):
    """Remove or anonymise what has expired, kind by kind; one kind failing does not stop the
    others (its error is on the run). Returns the ``RetentionRun``."""
    from core.models import RetentionRun

    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now)
    days = configured_days()
    errors = []
    for k in _kinds.values():
        cutoff = cutoff_for(days[k.key], now)
        try:
            count = k.purge(cutoff, batch)
        except Exception as error:  # reported on the run and in the log
            logger.exception("retention of %s failed", k.key)
            errors.append(f"{k.key}: {error}")
            count = None
        run.counts[k.key] = {"days": days[k.key], "cutoff": cutoff.isoformat(), "count": count}
    run.finished_at = timezone.now()
    run.error = "\n".join(errors)
    run.save(update_fields=["counts", "finished_at", "error"])
    return run


def last_run_rows(run) -> list[dict]:
    """The last run per kind for the operations page, with the cutoff of the next pass."""
    days = configured_days()
    now = timezone.now()
    rows = []
    for k in _kinds.values():
        done = (run.counts if run else {}).get(k.key) or {}
        rows.append(
            {
                "label": k.label,
                "action": k.action_label,
                "days": days[k.key],
                "count": done.get("count"),
                "cutoff": dt.datetime.fromisoformat(done["cutoff"]) if "cutoff" in done else None,
                "next_cutoff": cutoff_for(days[k.key], now + dt.timedelta(days=1)),
            }
        )
    return rows


# --- The audit log: core's own kind ------------------------------------------------------------

# Three years however the leap days fall (3 × 365 + 1): the trigger of core/migrations/0004
# refuses to delete anything younger than three calendar years, so the floor in days must
# never cut closer than that.
AUDIT_FLOOR_DAYS = 1096
# The trigger lets a DELETE through only in a transaction that says it is the purge.
AUDIT_PURGE = "SET LOCAL auditlog.purge = on"


def _audit_expired(cutoff: dt.datetime) -> models.QuerySet:
    from auditlog.models import LogEntry
    from django.db import connection

    entries = LogEntry.objects.filter(timestamp__lt=cutoff)
    if connection.vendor == "postgresql":
        # The database's own clock, as the trigger reads it: a skewed application clock
        # (or a test travelling in time) never asks for a delete the trigger would refuse.
        entries = entries.extra(where=["timestamp < now() - interval '3 years'"])
    return entries


def _audit_purge(cutoff: dt.datetime, batch: int) -> int:
    from django.db import connection

    def allow() -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(AUDIT_PURGE)

    # A raw delete: the entries of the audit log have no signals or dependants to honour.
    return in_batches(_audit_expired(cutoff), lambda rows: rows._raw_delete(rows.db), batch, allow)


register(
    key="core.audit_log",
    label=_("Audit log entries"),
    default_days=AUDIT_FLOOR_DAYS,
    minimum_days=AUDIT_FLOOR_DAYS,
    action=Action.REMOVED,
    expired=_audit_expired,
    purge=_audit_purge,
    note=_(
        "Who changed or saw what. Three years at least (the law asks six months of network "
        "logs; the district keeps three); the database refuses to delete younger entries."
    ),
)
