"""Every write to safety patrols and hazards.

``record_patrol`` stores one walk of a place's checklist in one transaction: an answer for
every active item of the place's kind, a hazard for every failed one (a major one filed as a
request to the owning department), and the place's last patrol. ``mark_fixed`` and
``recheck`` move a hazard on; the sweep (safety/sweep.py) escalates the overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_photos
from safety.models import (
    DEFAULT_FIX_DAYS,
    ChecklistItem,
    Hazard,
    Patrol,
    PatrolAnswer,
    PatrolPhoto,
    Severity,
)
from safety.policy import may_act_on_hazard, may_patrol
from visits.models import Place

MAX_PHOTOS_PER_ITEM = 2
# Where a major hazard goes when its item names no matter: the district's emergency bureau.
MAJOR_DEPARTMENT = "emergency"
MAJOR_MATTER = "major_hazard"  # tickets/catalogue.py


@dataclass
class Answer:
    """What the patrol form hands over for one checklist item."""

    item_id: int
    passed: bool
    note: str = ""
    photos: list = field(default_factory=list)


def checklist(place_kind: str) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(place_kind=place_kind, active=True))


def fix_by_default(severity: str, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=DEFAULT_FIX_DAYS[severity])


def deadline_moment(fix_by: dt.date) -> dt.datetime:
    """A hazard is overdue once its fix-by day is over."""
    return timezone.make_aware(dt.datetime.combine(fix_by + dt.timedelta(days=1), dt.time.min))


@transaction.atomic
def record_patrol(
    *,
    by,
    place: Place,
    answers: Iterable[Answer],
    notes: str = "",
    responsible_name: str = "",
    responsible_phone: str = "",
    at: dt.datetime | None = None,
) -> Patrol:
    if not may_patrol(by, place.grid):
        raise PermissionDenied
    items = {i.pk: i for i in checklist(place.kind)}
    if not items:
        raise ValidationError(_("There is no checklist for this kind of place."))
    answers = {a.item_id: a for a in answers}
    missing = [i for pk, i in items.items() if pk not in answers]
    if missing:
        raise ValidationError(
            _("Answer every item: %(items)s.") % {"items": "、".join(i.text for i in missing)}
        )
    errors = []
    cleaned = {}
    for pk, answer in answers.items():
        item = items.get(pk)
        if item is None:
            raise ValidationError(_("An item is not on this place's checklist; reload the form."))
        if not answer.passed:
            if not answer.note.strip():
                errors.append(_("Say what is wrong: %(item)s.") % {"item": item.text})
            if item.photo_on_fail and not answer.photos:
                errors.append(_("Take a photo: %(item)s.") % {"item": item.text})
        cleaned[pk] = clean_photos(answer.photos, max_count=MAX_PHOTOS_PER_ITEM)
    if errors:
        raise ValidationError(errors)
    # A patrol entered after the fact files its request as history (no "new request" notice).
    stated_at, at = at, at or timezone.now()
    today = timezone.localdate(at)
    failed = [a for a in answers.values() if not a.passed]
    patrol = Patrol(
        place=place,
        grid=place.grid,
        by=by,
        at=at,
        notes=notes.strip(),
        passed=len(answers) - len(failed),
        failed=len(failed),
    )
    patrol.full_clean()
    patrol.save()
    for pk, answer in sorted(answers.items(), key=lambda kv: items[kv[0]].order):
        item = items[pk]
        row = PatrolAnswer(patrol=patrol, item=item, passed=answer.passed, note=answer.note.strip())
        row.full_clean(exclude=["patrol", "item"])
        row.save()
        for content in cleaned[pk]:
            photo = PatrolPhoto(answer=row)
            photo.image.save(content.name, content, save=False)
            photo.save()
        if not answer.passed:
            severity = Severity.MAJOR if item.major else Severity.NORMAL
            fix_by = fix_by_default(severity, today)
            hazard = Hazard(
                place=place,
                grid=place.grid,
                answer=row,
                category=item.category,
                description=f"{item.text}：{row.note}"[:500],
                severity=severity,
                responsible_name=responsible_name.strip(),
                responsible_phone=responsible_phone.strip(),
                found_at=at,
                fix_by=fix_by,
                next_check_at=deadline_moment(fix_by),
            )
            hazard.full_clean()
            hazard.save()
            if severity == Severity.MAJOR:
                hazard.ticket = file_request(hazard=hazard, item=item, by=by, at=stated_at)
                hazard.save(update_fields=["ticket"])
    later = Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=at)
    Place.objects.filter(later, pk=place.pk).update(last_visited_at=at)
    return patrol


def _matter(item: ChecklistItem | None):
    from tickets.models import Matter

    if item is not None and item.matter_id and item.matter.active:
        return item.matter
    found = Matter.objects.filter(code=MAJOR_MATTER, active=True).first()
    if found is not None:
        return found
    # The district retired the catalogue's own matter: any safety matter of the department.
    owned = Matter.objects.filter(department__code=MAJOR_DEPARTMENT, active=True).order_by("pk")
    return owned.filter(category__code="safety").first() or owned.first()


def file_request(*, hazard: Hazard, item: ChecklistItem | None, by, at=None):
    """A major hazard (重大隐患) goes to the department that owns it as a request; None when
    the catalogue has no matter for it (the hazard is still chased by the sweep)."""
    from tickets.models import Channel
    from tickets.services import submit

    matter = _matter(item)
    if matter is None:
        return None
    return submit(
        channel=Channel.FIELD,
        matter=matter,
        description=_("Major safety hazard at %(place)s: %(what)s")
        % {"place": hazard.place.name, "what": hazard.description},
        address=hazard.place.address,
        grid=hazard.grid,
        by=by,
        at=at,
    )


def _locked(hazard: Hazard) -> Hazard:
    return Hazard.objects.select_for_update().select_related("grid").get(pk=hazard.pk)


@transaction.atomic
def mark_fixed(*, by, hazard: Hazard, note: str, at: dt.datetime | None = None) -> Hazard:
    """The responsible party says it is fixed: it waits for a re-check, and the sweep stops."""
    hazard = _locked(hazard)
    if not may_act_on_hazard(by, hazard.grid):
        raise PermissionDenied
    if hazard.status != Hazard.Status.OPEN:
        raise ValidationError(_("Only an open hazard can be marked fixed."))
    if not note.strip():
        raise ValidationError({"note": _("Say what was done.")})
    hazard.status = Hazard.Status.FIXED
    hazard.fixed_at = at or timezone.now()
    hazard.fixed_note = note.strip()
    hazard.next_check_at = None
    hazard.save()
    return hazard


@transaction.atomic
def recheck(
    *,
    by,
    hazard: Hazard,
    passed: bool,
    fix_by: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Hazard:
    """A re-check on the spot: passed closes the hazard; failed opens it again with a new
    fix-by date (the sweep starts over, its notices keyed by the new round)."""
    hazard = _locked(hazard)
    if not may_act_on_hazard(by, hazard.grid):
        raise PermissionDenied
    if hazard.status == Hazard.Status.CLOSED:
        raise ValidationError(_("This hazard is closed."))
    at = at or timezone.now()
    today = timezone.localdate(at)
    hazard.rechecked_at = at
    hazard.rechecked_by = by
    if passed:
        hazard.status = Hazard.Status.CLOSED
        hazard.next_check_at = None
    else:
        fix_by = fix_by or fix_by_default(hazard.severity, today)
        if fix_by < today:
            raise ValidationError({"fix_by": _("The new date cannot be in the past.")})
        hazard.status = Hazard.Status.OPEN
        hazard.fix_by = fix_by
        hazard.round += 1
        hazard.escalation_level = 0
        hazard.next_check_at = deadline_moment(fix_by)
    hazard.save()
    return hazard
