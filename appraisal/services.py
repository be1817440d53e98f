"""Writes of the appraisal: compute a month's drafts, publish them, correct a published card,
score a manual item, record a talk with the lowest-ranked (末位约谈), set the district's scheme
(a new version of an item)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import SchemeItem, Scorecard, Talk, month_start, next_month
from appraisal.policy import AppraisalCapability, may_publish, may_record_talk, may_set_scheme
from appraisal.scoring import month_figures
from grids.models import Area
from grids.scope import can


def _score(card: Scorecard, items: list[SchemeItem], figures: dict, manual: dict) -> None:
    rows, total = {}, Decimal(0)
    for item in items:
        if item.is_manual:
            old = manual.get(item.code, {})
            value, note = old.get("value"), old.get("note", "")
        else:
            value, note = figures.get(item.figure), ""
        score = item.score(value)
        rows[item.code] = {
            "item": item.pk,
            "value": value,
            "score": str(score),
            "note": note,
        }
        total += score
    for key in (
        "visits_done",
        "visits_due",
        "requests_resolved",
        "care_due",
        "care_done",
        "care_late",
    ):
        if key in figures:
            rows[f"_{key}"] = figures[key]
    card.figures = rows
    card.total = total


@transaction.atomic
def compute_month(*, area: Area, month: dt.date, now: dt.datetime | None = None) -> int:
    """(Re)compute the drafts of ``area``'s workers for ``month``; published cards stay as they
    are. Returns how many drafts were written."""
    month = month_start(month)
    items = SchemeItem.objects.in_force(month)
    months = month_figures(area=area, month=month)
    cards = {
        c.worker_id: c
        for c in Scorecard.objects.current().filter(worker__in=list(months), month=month)
    }
    new, changed = [], []
    for worker_id, wm in months.items():
        card = cards.get(worker_id)
        if card is not None and card.is_published:
            continue
        if card is None:
            card = Scorecard(worker_id=worker_id, month=month)
            new.append(card)
        else:
            changed.append(card)
        manual = {k: v for k, v in card.figures.items() if not k.startswith("_")}
        card.grid, card.role = wm.area, wm.role
        card.overdue = wm.overdue
        card.computed_at = now or timezone.now()
        _score(card, items, {**wm.figures, "care_late": wm.care_late}, manual)
        # The fields' own rules; not the foreign keys (rows just read) nor the uniqueness
        # (one current card per worker and month, which the database enforces): checking
        # those asked the database three times per card, 20,000 queries for a district.
        card.full_clean(
            exclude=["worker", "grid", "published_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    # Written together: a district's ~3,000 cards in a few statements, not one each.
    Scorecard.objects.bulk_create(new, batch_size=500)
    # Only drafts: a card the street published meanwhile keeps what it was published with.
    Scorecard.objects.filter(state=Scorecard.State.DRAFT).bulk_update(
        changed, ["grid", "role", "overdue", "computed_at", "figures", "total"], batch_size=500
    )
    return len(new) + len(changed)


@transaction.atomic
def publish_month(*, by, area: Area, month: dt.date, now: dt.datetime | None = None) -> int:
    """Freeze the month's drafts under ``area`` (a street's)."""
    if not may_publish(by, area):
        raise PermissionDenied
    return (
        Scorecard.objects.current()
        .filter(
            grid__path__startswith=area.path,
            month=month_start(month),
            state=Scorecard.State.DRAFT,
        )
        .update(
            state=Scorecard.State.PUBLISHED, published_at=now or timezone.now(), published_by=by
        )
    )


@transaction.atomic
def correct_card(
    *, by, card: Scorecard, reason: str, manual_scores: dict[str, Decimal]
) -> Scorecard:
    """A published card's correction: a new published version with the reason; the old one is
    kept, superseded. ``manual_scores``: {manual item code: score}."""
    if not can(by, AppraisalCapability.PUBLISH_SCORECARDS, card.grid):
        raise PermissionDenied
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if not card.is_published or card.superseded_at is not None:
        raise ValidationError(_("Only the current published card can be corrected."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the card is corrected.")})
    items = list(SchemeItem.objects.filter(pk__in=[r["item"] for r in _rows(card)]))
    unknown = set(manual_scores) - {i.code for i in items if i.is_manual}
    if unknown:
        raise ValidationError(_("Not a manual item of this card: %s.") % ", ".join(sorted(unknown)))
    now = timezone.now()
    card.superseded_at = now
    card.save(update_fields=["superseded_at"])
    new = Scorecard(
        worker=card.worker,
        grid=card.grid,
        role=card.role,
        month=card.month,
        version=card.version + 1,
        state=Scorecard.State.PUBLISHED,
        overdue=card.overdue,
        reason=reason.strip(),
        computed_at=now,
        published_at=now,
        published_by=by,
        figures={k: dict(v) if isinstance(v, dict) else v for k, v in card.figures.items()},
    )
    for code, score in manual_scores.items():
        new.figures[code]["value"] = str(score)
    _rescore(new, items)
    new.full_clean()
    new.save()
    return new


def _rows(card: Scorecard) -> list[dict]:
    return [v for k, v in card.figures.items() if not k.startswith("_")]


def _rescore(card: Scorecard, items: list[SchemeItem]) -> None:
    """Score ``card`` again from the figures it holds (its manual items as they now stand),
    under its own items' versions: a card keeps the scheme it was computed under."""
    figures = {i.figure: card.figures[i.code]["value"] for i in items if not i.is_manual}
    extra = {k[1:]: v for k, v in card.figures.items() if k.startswith("_")}
    manual = {i.code: card.figures[i.code] for i in items if i.is_manual}
    _score(card, sorted(items, key=lambda i: i.position), {**figures, **extra}, manual)


@transaction.atomic
def score_manual(*, by, card: Scorecard, item: SchemeItem, score: Decimal, note: str) -> Scorecard:
    """An officer scores a manual item of a draft card."""
    if not can(by, AppraisalCapability.SCORE_WORKERS, card.grid):
        raise PermissionDenied
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if card.is_published:
        raise ValidationError(_("A published card is corrected, not rescored."))
    if not item.is_manual or item.code not in card.figures:
        raise ValidationError(_("Not a manual item of this card."))
    if not 0 <= Decimal(score) <= item.weight:
        raise ValidationError({"score": _("Give a score from 0 to the item's weight.")})
    card.figures[item.code]["value"] = str(score)
    card.figures[item.code]["note"] = note
    _rescore(card, list(SchemeItem.objects.filter(pk__in=[r["item"] for r in _rows(card)])))
    card.full_clean()
    card.save()
    return card


@transaction.atomic
def record_talk(
    *,
    by,
    card: Scorecard,
    held_on: dt.date,
    notes: str,
    actions: str = "",
    follow_up_on: dt.date | None = None,
) -> Talk:
    """Record a talk with the worker of a published month's current card (末位约谈); a second
    one is a follow-up."""
    if not may_record_talk(by, card.grid):
        raise PermissionDenied
    card = Scorecard.objects.get(pk=card.pk)
    if not card.is_published or card.superseded_at is not None:
        raise ValidationError(_("A talk is recorded on a published month's current card."))
    if not notes.strip():
        raise ValidationError({"notes": _("Say what was discussed.")})
    talk = Talk(
        worker_id=card.worker_id,
        grid_id=card.grid_id,
        month=card.month,
        scorecard=card,
        held_on=held_on,
        held_by=by,
        notes=notes.strip(),
        actions=actions.strip(),
        follow_up_on=follow_up_on,
    )
    talk.full_clean()
    talk.save()
    return talk


def earliest_change(today: dt.date | None = None) -> dt.date:
    """The first month a new version of the scheme may apply from: this month while none of
    its cards is published, else the month after the last published one."""
    this_month = month_start(today or timezone.localdate())
    last = (
        Scorecard.objects.filter(state=Scorecard.State.PUBLISHED)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return this_month if last is None or last < this_month else next_month(last)


@transaction.atomic
def set_scheme_item(
    *,
    by,
    code: str,
    valid_from: dt.date,
    name_en: str,
    name_zh: str,
    figure: str,
    weight: int,
    full_marks_at: Decimal,
    position: int,
) -> SchemeItem:
    """The next version of the scheme's item ``code`` (or its first, for a new code), in force
    from ``valid_from``; weight 0 retires the item from that month on. The versions before stay
    as they were, for the months scored under them. A month some card of which is published
    (or any later one) is refused: its cards never change."""
    if not may_set_scheme(by):
        raise PermissionDenied
    # One writer at a time: the version numbers and the published check stay true.
    versions = list(SchemeItem.objects.select_for_update().filter(code=code).order_by("-version"))
    if valid_from.day != 1:
        raise ValidationError({"valid_from": _("A version applies from a month's first day.")})
    if valid_from < month_start(timezone.localdate()):
        raise ValidationError({"valid_from": _("A past month cannot be changed.")})
    if Scorecard.objects.filter(state=Scorecard.State.PUBLISHED, month__gte=valid_from).exists():
        raise ValidationError(
            {
                "valid_from": _(
                    "Scorecards of %(month)s or later are published and never change: choose "
                    "%(earliest)s or later."
                )
                % {"month": f"{valid_from:%Y-%m}", "earliest": f"{earliest_change():%Y-%m}"}
            }
        )
    latest = versions[0] if versions else None
    if latest is None and weight == 0:
        raise ValidationError({"weight": _("A new item needs a weight above 0.")})
    if any(v.valid_from == valid_from for v in versions):
        raise ValidationError(
            {
                "valid_from": _(
                    "This item already has a version from %(month)s: choose another month."
                )
                % {"month": f"{valid_from:%Y-%m}"}
            }
        )
    fields = {
        "name_en": name_en.strip(),
        "name_zh": name_zh.strip(),
        "figure": figure,
        "weight": weight,
        "full_marks_at": Decimal(full_marks_at),
        "position": position,
    }
    in_force_then = next((v for v in versions if v.valid_from <= valid_from), None)
    if in_force_then is not None and all(
        getattr(in_force_then, name) == value for name, value in fields.items()
    ):
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Nothing changed: the version in force that month stays.")}
        )
    item = SchemeItem(
        code=code,
        version=latest.version + 1 if latest else 1,
        valid_from=valid_from,
        created_by=by,
        **fields,
    )
    item.full_clean()
    item.save()
    return item
