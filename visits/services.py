"""Every write to visits, places and visit plans, and the due dates they set.

``log_visit`` is the one way a visit is written (the visit form, its offline queue, the admin
and any API call it): the browser makes a ``client_id`` when the form opens, and a repeated
submit of that id returns the visit already stored instead of writing a second one.

``refresh_due`` keeps ``Household.visit_due_on``. Grids stands to the left of this app, so it
does not call it: it sends ``grids.signals.visit_interval_changed``, which this app connects to
``refresh_due`` in its AppConfig.ready().

A visit that needs following up can become a request in the same step. Requests live in the
tickets app, which stands to the right of this one, so it registers the handler here
(``register_follow_up``) rather than this module importing it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_photos
from grids.models import Area, Household, Resident, ResidentCare
from grids.roles import LEVEL_DEPTH, Level
from grids.scope import can
from visits.models import Place, Visit, VisitKind, VisitPhoto, VisitPlan
from visits.policy import VisitCapability

MAX_PHOTOS = 4
COMMUNITY_PATH_LENGTH = LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen


# --- When a household is due ----------------------------------------------------------------------


STREET_PATH_LENGTH = LEVEL_DEPTH[Level.STREET] * Area.steplen


@dataclass(frozen=True)
class PlanInForce:
    """The plan whose intervals a community's households follow, and where it comes from:
    the community's own, its street's default, or the built-in defaults (``plan.pk`` None)."""

    plan: VisitPlan
    source: str


def _resolve(community_path: str, plans: dict[str, VisitPlan]) -> PlanInForce:
    own = plans.get(community_path)
    if own is not None:
        return PlanInForce(own, VisitPlan.Source.OWN)
    street = plans.get(community_path[:STREET_PATH_LENGTH])
    if street is not None:
        return PlanInForce(street, VisitPlan.Source.STREET)
    return PlanInForce(VisitPlan(), VisitPlan.Source.BUILT_IN)


def _plans_at(community_paths: set[str]) -> dict[str, VisitPlan]:
    """The communities' own plans and their streets' defaults, by area path (one query)."""
    paths = community_paths | {p[:STREET_PATH_LENGTH] for p in community_paths}
    return {
        plan.area.path: plan
        for plan in VisitPlan.objects.filter(area__path__in=paths).select_related("area")
    }


def plans_for(households: Iterable[Household]) -> dict[str, VisitPlan]:
    """The visit plan in force for each household's community, by community path: its own,
    else its street's default, else the built-in one (one query, whatever the number)."""
    paths = {h.grid.path[:COMMUNITY_PATH_LENGTH] for h in households}
    plans = _plans_at(paths)
    return {path: _resolve(path, plans).plan for path in paths}


def plan_in_force(area: Area) -> PlanInForce:
    """For a community: the plan its households follow and where it comes from. For a street:
    its default, or the built-in defaults."""
    if area.level in (Level.STREET, Level.TOWN):
        own = VisitPlan.objects.filter(area=area).first()
        if own is not None:
            return PlanInForce(own, VisitPlan.Source.OWN)
        return PlanInForce(VisitPlan(), VisitPlan.Source.BUILT_IN)
    return _resolve(area.path, _plans_at({area.path}))


def refresh_due(*, household_ids: Iterable[int]) -> int:
    """Recompute ``visit_due_on`` for these households; returns how many changed."""
    ids = list(household_ids)
    changed = 0
    for start in range(0, len(ids), 2000):
        # Only what the interval needs: not the grid's boundary once per household (an
        # import refreshes a whole street's households at once).
        chunk = list(
            Household.objects.filter(pk__in=ids[start : start + 2000])
            .select_related("grid")
            .only("last_visited_at", "created_at", "visit_due_on", "grid__path")
        )
        care: defaultdict[int, set[str]] = defaultdict(set)
        for household_id, category in ResidentCare.objects.filter(
            resident__household__in=chunk, resident__status=Resident.Status.LIVING
        ).values_list("resident__household_id", "category"):
            care[household_id].add(category)
        plans = plans_for(chunk)
        by_date: defaultdict[dt.date, list[int]] = defaultdict(list)
        for household in chunk:
            plan = plans[household.grid.path[:COMMUNITY_PATH_LENGTH]]
            since = household.last_visited_at or household.created_at or timezone.now()
            due = timezone.localtime(since).date() + dt.timedelta(
                days=plan.days_for(care[household.pk])
            )
            if due != household.visit_due_on:
                by_date[due].append(household.pk)
        # Few distinct dates per chunk: one UPDATE each beats a CASE per row.
        for due, pks in by_date.items():
            changed += Household.objects.filter(pk__in=pks).update(visit_due_on=due)
    return changed


# --- Logging a visit ------------------------------------------------------------------------------

FollowUp = Callable[..., object]
_FOLLOW_UPS: list[FollowUp] = []
_FOLLOW_UP_CHOICES: list[Callable[[], list[tuple[str, str]]]] = []


@dataclass(frozen=True)
class FollowUpMade:
    """What a follow-up handler made, as the visit's pages show it: its code, and its page
    (empty when the visitor may not open it, so that no link ends in a 403)."""

    code: str
    url: str = ""


def register_follow_up(handler: FollowUp, choices: Callable[[], list[tuple[str, str]]]) -> None:
    """``handler(visit=, by=, choice=)`` makes the follow-up (the tickets app: a request) and
    returns a ``FollowUpMade`` (or None); ``choices()`` lists what the worker may pick for it
    (the catalogue's matters)."""
    if handler not in _FOLLOW_UPS:
        _FOLLOW_UPS.append(handler)
        _FOLLOW_UP_CHOICES.append(choices)


def follow_up_choices() -> list[tuple[str, str]]:
    return [choice for source in _FOLLOW_UP_CHOICES for choice in source()]


@dataclass
class Logged:
    visit: Visit
    created: bool
    # What the follow-up handlers made for a new visit (a replay makes nothing).
    follow_ups: list[FollowUpMade] = field(default_factory=list)


def _target_area(household: Household | None, place: Place | None) -> Area:
    return household.area if household is not None else place.grid


@transaction.atomic
def log_visit(
    *,
    by,
    client_id: uuid.UUID | str,
    kind: str,
    household: Household | None = None,
    place: Place | None = None,
    people_met: str = "",
    findings: str = "",
    tags: Iterable[str] = (),
    photos: Iterable = (),
    latitude: float | None = None,
    longitude: float | None = None,
    follow_up: bool = False,
    follow_up_choice: str = "",
    visited_at: dt.datetime | None = None,
) -> Logged:
    """Store one visit, or return the one already stored under ``client_id``."""
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise ValidationError({"client_id": _("The form's id is not valid; reload it.")}) from None
    existing = Visit.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.by_id != by.pk:
            raise ValidationError({"client_id": _("This form was already used by someone else.")})
        return Logged(existing, False)
    if (household is None) == (place is None):
        raise ValidationError({"household": _("A visit is to one household or one place.")})
    area = _target_area(household, place)
    if not can(by, VisitCapability.LOG_VISITS, area):
        raise PermissionDenied
    if place is not None and kind != VisitKind.PATROL:
        raise ValidationError({"kind": _("A place is patrolled, not visited.")})
    cleaned = clean_photos(photos, max_count=MAX_PHOTOS)
    now = timezone.now()
    visit = Visit(
        client_id=client_id,
        grid=household.grid if household is not None else place.grid,
        household=household,
        place=place,
        by=by,
        kind=kind,
        visited_at=visited_at or now,
        people_met=people_met.strip(),
        findings=findings.strip(),
        tags=sorted(set(tags)),
        latitude=latitude,
        longitude=longitude,
        follow_up=follow_up,
    )
    visit.full_clean(exclude=["client_id"])
    if follow_up and not findings.strip():
        raise ValidationError({"findings": _("Say what needs following up.")})
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        # The same form sent twice at once: the other request stored it first.
        existing = Visit.objects.get(client_id=client_id)
        if existing.by_id != by.pk:
            raise ValidationError(
                {"client_id": _("This form was already used by someone else.")}
            ) from None
        return Logged(existing, False)
    for content in cleaned:
        photo = VisitPhoto(visit=visit)
        photo.image.save(content.name, content, save=False)
        photo.save()
    # A visit queued offline may arrive after a later one: the latest visit counts.
    later = Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=visit.visited_at)
    if household is not None:
        Household.objects.filter(later, pk=household.pk).update(last_visited_at=visit.visited_at)
        refresh_due(household_ids=[household.pk])
    else:
        Place.objects.filter(later, pk=place.pk).update(last_visited_at=visit.visited_at)
    made = []
    if follow_up:
        for handler in _FOLLOW_UPS:
            outcome = handler(visit=visit, by=by, choice=follow_up_choice)
            if isinstance(outcome, FollowUpMade):
                made.append(outcome)
    return Logged(visit, True, made)


@transaction.atomic
def create_place(*, by, grid: Area, name: str, kind: str, address: str = "") -> Place:
    """A place to patrol in ``grid``, added by someone who patrols there."""
    if not can(by, VisitCapability.LOG_VISITS, grid):
        raise PermissionDenied
    place = Place(grid=grid, name=name.strip(), kind=kind, address=address.strip())
    place.full_clean()
    place.save()
    return place


def _plan_households(area: Area) -> Iterable[int]:
    """The households whose due dates follow ``area``'s plan: the community's, or for a
    street's default all its communities' (those with their own plan do not change, and
    ``refresh_due`` writes only what changed)."""
    return Household.objects.under(area).values_list("pk", flat=True)


@transaction.atomic
def save_plan(*, by, plan: VisitPlan) -> VisitPlan:
    """Set a community's visit intervals, or a street's default for its communities; the
    households' due dates follow at once (the dashboards' figures at their next refresh)."""
    if not can(by, VisitCapability.SUPERVISE_VISITS, plan.area):
        raise PermissionDenied
    plan.full_clean()
    plan.save()
    refresh_due(household_ids=_plan_households(plan.area))
    return plan


@transaction.atomic
def set_plan(*, by, area: Area, routine_days: int, care_days: dict[str, int]) -> VisitPlan:
    """The visit plan page's write: ``area``'s own plan, made or changed."""
    plan = VisitPlan.objects.filter(area=area).first() or VisitPlan(area=area)
    plan.routine_days = routine_days
    plan.care_days = {str(key): int(days) for key, days in care_days.items()}
    return save_plan(by=by, plan=plan)


@transaction.atomic
def delete_plan(*, by, plan: VisitPlan) -> None:
    """A community back to its street's default (or the built-in one); a street's default
    removed, its communities without a plan back to the built-in intervals."""
    if not can(by, VisitCapability.SUPERVISE_VISITS, plan.area):
        raise PermissionDenied
    area = plan.area
    plan.delete()
    refresh_due(household_ids=_plan_households(area))
