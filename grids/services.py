"""Every write to territory, households, residents and posts.

Views, the admin, commands and later the API call these functions, so each
rule (permission, scope, validation, audit) is enforced in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from core.concurrency import save_if_unchanged
from core.queue import enqueue_on_commit
from grids import geo
from grids.models import (
    Area,
    CareCategory,
    Household,
    Post,
    Resident,
    ResidentCare,
)
from grids.policy import TerritoryCapability
from grids.roles import LEVEL_DEPTH, Level
from grids.scope import can, forget_posts, scope_changed
from grids.signals import visit_interval_changed
from grids.tasks import refresh_grid_tally

# --- Permission helper ----------------------------------------------------------------------


def require(user, capability: str, area: Area) -> None:
    """Refuse unless ``user`` (None: the system itself) holds ``capability`` at ``area``."""
    if user is None:
        return
    if not can(user, capability, area):
        raise PermissionDenied(_("You do not have permission to do this here."))


# --- Territory ------------------------------------------------------------------------------


def _parent_of(area: Area) -> Area | None:
    return Area.objects.get_parent(area) if area.pk else None


def _check_level(level: str, parent: Area | None) -> None:
    depth = LEVEL_DEPTH[Level(level)]
    parent_depth = parent.depth if parent else 0
    if depth != parent_depth + 1:
        if parent is None:
            message = _("Only a district can stand at the top of the tree.")
        else:
            message = _("A %(level)s cannot be placed directly under a %(parent)s.") % {
                "level": Level(level).label,
                "parent": parent.get_level_display(),
            }
        raise ValidationError({"level": message})


def _check_boundary(area: Area, parent: Area | None) -> None:
    """Inside the parent, clear of every sibling, and still around the area's own children."""
    if not area.boundary:
        return
    errors = check_boundaries([(area, area.boundary)], parents={area.code: parent})
    if errors.get(area.code):
        raise ValidationError({"boundary": errors[area.code]})


def check_boundaries(
    changes: Sequence[tuple[Area, dict[str, Any] | None]],
    *,
    parents: dict[str, Area | None] | None = None,
) -> dict[str, list[str]]:
    """What is wrong, area by area (by code), with giving every area in ``changes`` its new
    boundary at once.

    Each new boundary must be a valid polygon inside its parent, clear of its siblings and
    still around its own children, where the parent, siblings and children are judged by their
    boundary in ``changes`` when they have one there and by their stored one otherwise: the
    final state, so neighbours moving a shared edge together never meet halfway. An area not
    in the tree yet (or about to stand elsewhere) gives its parent in ``parents``; the others'
    parents are looked up. A few queries whatever the number of areas; overlaps are found
    through a spatial index, not by comparing every pair.
    """
    step = Area.steplen
    errors: dict[str, list[str]] = {}
    listed = {area.code: area for area, _boundary in changes}
    # The final geometry of every area in ``changes``; None when it has none (cleared, or not
    # readable: that one is reported and judged no further).
    final: dict[str, BaseGeometry | None] = {}
    for area, boundary in changes:
        final[area.code] = None
        if boundary:
            try:
                final[area.code] = geo.validate_geometry(boundary)
            except ValidationError as exc:
                errors.setdefault(area.code, []).extend(exc.messages)
    checked = [area for area in listed.values() if final[area.code] is not None]
    if not checked:
        return errors

    def geometry_of(area: Area) -> BaseGeometry | None:
        return final[area.code] if area.code in listed else area.geometry

    def changed(area: Area) -> bool:
        return not area.pk or not geo.same_geometry(final[area.code], area.geometry)

    def complain(code: str, message: str) -> None:
        errors.setdefault(code, []).append(message)

    parent_of = dict(parents or {})
    wanted = {a.path[:-step] for a in checked if a.code not in parent_of and a.pk and a.depth > 1}
    found = {a.path: a for a in Area.objects.filter(path__in=wanted)} if wanted else {}
    for area in checked:
        if area.code not in parent_of:
            parent_of[area.code] = found.get(area.path[:-step]) if area.pk else None

    # Inside the parent (the parent's new boundary when it has one in ``changes``).
    for area in checked:
        parent = parent_of[area.code]
        outer = geometry_of(parent) if parent is not None else None
        if outer is not None:
            spill = geo.outside_m2(final[area.code], outer)
            if spill > geo.TOLERANCE_M2:
                complain(
                    area.code,
                    _("The boundary extends %(m2)s m² beyond %(parent)s.")
                    % {"m2": f"{spill:,.0f}", "parent": parent.name},
                )

    # Clear of the siblings: the stored ones near any new boundary, with the new boundaries
    # of those in ``changes`` in place of their stored ones.
    west, south, east, north = _bounds([final[a.code] for a in checked])
    by_parent: dict[str, dict[str, Area]] = {}
    for area in checked:
        parent = parent_of[area.code]
        by_parent.setdefault(parent.path if parent is not None else "", {})
    stored = (
        Area.objects.annotate(parent_path=Left("path", (F("depth") - 1) * step))
        .filter(
            parent_path__in=list(by_parent),
            bbox_west__lt=east,
            bbox_east__gt=west,
            bbox_south__lt=north,
            bbox_north__gt=south,
        )
        .only("code", "name", "path", "depth", "boundary")
    )
    # By primary key too: an area being edited may carry a new (refused later) code.
    listed_pks = {area.pk for area in listed.values() if area.pk}
    for sibling in stored:
        if sibling.code not in listed and sibling.pk not in listed_pks:
            by_parent[sibling.parent_path][sibling.code] = sibling
    for area in checked:
        parent = parent_of[area.code]
        by_parent[parent.path if parent is not None else ""][area.code] = area
    for members in by_parent.values():
        shapes = [(a, geometry_of(a)) for a in members.values()]
        shapes = [(a, g) for a, g in shapes if g is not None]
        mine = {k for k, (a, _g) in enumerate(shapes) if a.code in listed}
        for i, j, shared in geo.overlaps([g for _a, g in shapes], among=mine):
            first, second = shapes[i][0], shapes[j][0]
            blamed = [a for a in (first, second) if a.code in listed]
            if len(blamed) == 2 and changed(first) != changed(second):
                # The one that moved onto its unchanged neighbour is at fault.
                blamed = [first] if changed(first) else [second]
            for area in blamed:
                other = second if area is first else first
                complain(
                    area.code,
                    _("The boundary overlaps %(sibling)s (%(code)s) by %(m2)s m².")
                    % {"sibling": other.name, "code": other.code, "m2": f"{shared:,.0f}"},
                )

    # Still around the children; a child with a new boundary of its own was judged above.
    around = {a.path: a for a in checked if a.pk}
    if around:
        children = (
            Area.objects.annotate(parent_path=Left("path", (F("depth") - 1) * step))
            .filter(parent_path__in=list(around))
            .exclude(boundary=None)
            .only("code", "name", "path", "depth", "boundary")
        )
        for child in children:
            if child.code in listed or child.pk in listed_pks:
                continue
            area = around[child.parent_path]
            spill = geo.outside_m2(child.geometry, final[area.code])
            if spill > geo.TOLERANCE_M2:
                complain(
                    area.code,
                    _("%(child)s would extend %(m2)s m² beyond this boundary.")
                    % {"child": child.name, "m2": f"{spill:,.0f}"},
                )
    return errors


def _bounds(geometries: Iterable[BaseGeometry]) -> tuple[float, float, float, float]:
    bounds = [geometry.bounds for geometry in geometries]
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def check_placement(area: Area, parent: Area | None) -> None:
    """The rules an area must meet where it stands: level under parent, boundary fit."""
    _check_level(area.level, parent)
    _check_boundary(area, parent)


def _prepare(area: Area, parent: Area | None) -> None:
    area.full_clean(exclude=["path", "depth", "numchild"])
    check_placement(area, parent)
    area.__dict__.pop("geometry", None)
    area.set_bbox()


@transaction.atomic
def create_area(
    *,
    by,
    parent: Area | None,
    code: str,
    name: str,
    level: str,
    grid_kind: str = "",
    dedicated_type: str = "",
    boundary: dict[str, Any] | None = None,
) -> Area:
    if parent is not None:
        require(by, TerritoryCapability.EDIT_AREAS, parent)
        # treebeard derives the new path from the last child: serialise concurrent additions.
        parent = Area.objects.select_for_update().get(pk=parent.pk)
    elif by is not None and not by.is_superuser:
        raise PermissionDenied(_("Only an administrator can add a district."))
    area = Area(
        code=code,
        name=name,
        level=level,
        grid_kind=grid_kind,
        dedicated_type=dedicated_type,
        boundary=boundary,
    )
    _prepare(area, parent)
    return (
        Area.objects.add_child(parent, instance=area)
        if parent
        else Area.objects.add_root(instance=area)
    )


@transaction.atomic
def update_area(*, by, area: Area, **fields: Any) -> Area:
    require(by, TerritoryCapability.EDIT_AREAS, area)
    area = Area.objects.select_for_update().get(pk=area.pk)
    if "code" in fields and fields["code"] != area.code:
        raise ValidationError(
            {"code": _("An area's code is permanent; create a new area instead.")}
        )
    for name, value in fields.items():
        setattr(area, name, value)
    _prepare(area, _parent_of(area))
    area.save()
    return area


BBOX_FIELDS = ("bbox_west", "bbox_south", "bbox_east", "bbox_north")


@transaction.atomic
def update_boundaries(
    *, by, boundaries: Sequence[tuple[Area, dict[str, Any] | None]]
) -> list[Area]:
    """Give many areas their new boundaries together (a file of grid boundaries).

    The rules are those of ``update_area``, applied once to the final state: updating one
    area after another would refuse two neighbours that move their shared edge, since the
    first would overlap the second's old boundary. Raises ValidationError keyed by area code
    when any boundary does not fit; then nothing is saved.
    """
    wanted = {area.pk: boundary for area, boundary in boundaries}
    areas = list(Area.objects.select_for_update().filter(pk__in=wanted).order_by("path"))
    # Every permission before any save: each save makes the cached scopes stale (post_save).
    for area in areas:
        require(by, TerritoryCapability.EDIT_AREAS, area)
    errors = check_boundaries([(area, wanted[area.pk]) for area in areas])
    if errors:
        raise ValidationError(errors)
    for area in areas:
        area.boundary = wanted[area.pk]
        area.full_clean(
            exclude=[f.name for f in Area._meta.fields if f.name != "boundary"],
            validate_unique=False,
            validate_constraints=False,
        )
        area.__dict__.pop("geometry", None)
        area.set_bbox()
        area.save(update_fields=["boundary", *BBOX_FIELDS, "updated_at"])
    return areas


@transaction.atomic
def move_area(*, by, area: Area, new_parent: Area) -> Area:
    require(by, TerritoryCapability.EDIT_AREAS, area)
    require(by, TerritoryCapability.EDIT_AREAS, new_parent)
    area = Area.objects.select_for_update().get(pk=area.pk)
    new_parent = Area.objects.select_for_update().get(pk=new_parent.pk)
    if new_parent.path.startswith(area.path):
        raise ValidationError(_("An area cannot be moved under itself."))
    _check_level(area.level, new_parent)
    if area.boundary:
        geometry = area.geometry
        if (
            new_parent.geometry is not None
            and geo.outside_m2(geometry, new_parent.geometry) > geo.TOLERANCE_M2
        ):
            raise ValidationError(
                {
                    "boundary": _("The boundary does not lie inside %(parent)s.")
                    % {"parent": new_parent.name}
                }
            )
    Area.objects.move(area, new_parent, pos="last-child")
    scope_changed()
    area = Area.objects.get(pk=area.pk)
    _check_boundary(area, new_parent)
    return area


# --- Households and residents ---------------------------------------------------------------


def visit_interval_changed_for(household_ids: Iterable[int]) -> None:
    """These households' visit interval may have changed: the visits app, which keeps their
    due dates, listens (grids.signals)."""
    visit_interval_changed.send(sender=Household, household_ids=list(household_ids))


_HOUSEHOLD_FIELDS = ["grid", "micro_grid", "address", "longitude", "latitude", "note"]


@transaction.atomic
def create_household(
    *,
    by,
    grid: Area,
    address: str,
    micro_grid: Area | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    note: str = "",
) -> Household:
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, micro_grid or grid)
    household = Household(
        grid=grid,
        micro_grid=micro_grid,
        address=address,
        longitude=longitude,
        latitude=latitude,
        note=note,
    )
    household.full_clean()
    household.save()
    visit_interval_changed_for([household.pk])
    household.refresh_from_db(fields=["visit_due_on"])
    _recount(household.grid_id)
    return household


@transaction.atomic
def update_household(
    *, by, household: Household, expected_version: int | None = None, **fields: Any
) -> Household:
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, household.area)
    unknown = set(fields) - set(_HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(household, name, value)
    household.full_clean()
    # Moving a household to another grid needs the right to edit there too.
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, household.area)
    previous_grid = Household.objects.filter(pk=household.pk).values_list("grid_id", flat=True)[0]
    save_if_unchanged(household, expected_version, _HOUSEHOLD_FIELDS)
    if previous_grid != household.grid_id:  # another community may visit more often
        visit_interval_changed_for([household.pk])
    _recount(previous_grid, household.grid_id)
    return household


RESIDENT_FIELDS = ["name", "id_number", "phone", "relationship", "gender", "birth_date", "status"]


def _set_care(resident: Resident, care: Iterable[str]) -> None:
    wanted = set(care)
    unknown = wanted - set(CareCategory.values)
    if unknown:
        raise ValidationError({"care": _("Unknown care category.")})
    current = set(resident.care.values_list("category", flat=True))
    resident.care.filter(category__in=current - wanted).delete()
    ResidentCare.objects.bulk_create(
        ResidentCare(resident=resident, category=category) for category in sorted(wanted - current)
    )
    if wanted != current:
        visit_interval_changed_for([resident.household_id])


def _save_resident(resident: Resident, write) -> None:
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        if "id_number" in str(exc) or "resident_unique_id_number" in str(exc):
            raise ValidationError(
                {"id_number": _("Another resident already has this ID number.")}
            ) from exc
        raise


@transaction.atomic
def create_resident(
    *, by, household: Household, name: str, care: Iterable[str] = (), **fields: Any
) -> Resident:
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, household.area)
    resident = Resident(household=household, name=name, **fields)
    resident.full_clean()
    _save_resident(resident, resident.save)
    _set_care(resident, care)
    _recount(household.grid_id)
    return resident


@transaction.atomic
def update_resident(
    *,
    by,
    resident: Resident,
    expected_version: int | None = None,
    care: Iterable[str] | None = None,
    **fields: Any,
) -> Resident:
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, resident.household.area)
    unknown = set(fields) - set(RESIDENT_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(resident, name, value)
    resident.full_clean()
    _save_resident(resident, lambda: save_if_unchanged(resident, expected_version, RESIDENT_FIELDS))
    if care is not None:
        _set_care(resident, care)
    if "status" in fields:  # someone in care moved out: the household's interval may change
        visit_interval_changed_for([resident.household_id])
    _recount(resident.household.grid_id)
    return resident


def _recount(*grid_ids: int) -> None:
    for grid_id in sorted(set(grid_ids)):
        enqueue_on_commit(refresh_grid_tally, grid_id)


REVEALABLE = ("id_number", "phone")


def log_personal_access(by, obj, fields: list[str], remote_addr: str | None) -> None:
    """An audit row saying ``by`` saw the full ``fields`` of ``obj`` (a resident, a member…)."""
    LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.ACCESS,
        force_log=True,
        actor=by,
        remote_addr=remote_addr,
        additional_data={"revealed": fields},
        changes={},
    )


@transaction.atomic
def reveal_personal(*, by, resident: Resident, field: str, remote_addr: str | None = None) -> str:
    """The full ID or mobile number, for a user allowed to see it; every reveal is logged."""
    if field not in REVEALABLE:
        raise ValidationError(_("This field cannot be revealed."))
    require(by, TerritoryCapability.REVEAL_PERSONAL, resident.household.area)
    value = getattr(resident, field)
    if value:
        log_personal_access(by, resident, [field], remote_addr)
    return value


@transaction.atomic
def open_for_editing(*, by, resident: Resident, remote_addr: str | None = None) -> None:
    """The edit form shows full values: same permission and the same audit as a reveal."""
    require(by, TerritoryCapability.REVEAL_PERSONAL, resident.household.area)
    shown = [field for field in REVEALABLE if getattr(resident, field)]
    if shown:
        log_personal_access(by, resident, shown, remote_addr)


# --- Posts ----------------------------------------------------------------------------------


@transaction.atomic
def appoint(
    *, by, user, area: Area, role: str, started_on: dt.date | None = None, note: str = ""
) -> Post:
    require(by, TerritoryCapability.MANAGE_POSTS, area)
    post = Post(
        user=user, area=area, role=role, note=note, started_on=started_on or timezone.localdate()
    )
    post.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError as exc:
        raise ValidationError(_("%(user)s already holds this post.") % {"user": user}) from exc
    forget_posts(user)
    return post


@transaction.atomic
def end_post(*, by, post: Post, ended_on: dt.date | None = None) -> Post:
    require(by, TerritoryCapability.MANAGE_POSTS, post.area)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if by is not None and post.user_id == by.pk:
        raise ValidationError(_("You cannot end your own post; ask another officer."))
    if post.ended_on is not None:
        raise ValidationError(_("This post has already ended."))
    post.ended_on = ended_on or timezone.localdate()
    post.full_clean(validate_constraints=False)
    post.save(update_fields=["ended_on"])
    forget_posts(post.user)
    return post
