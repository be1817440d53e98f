"""Every write to territory, households, residents and posts.

Views, the admin, commands and later the API call these functions, so each
rule (permission, scope, validation, audit) is enforced in one place.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from accounts import services as accounts_services
from core.audit import log_bulk
from core.concurrency import save_if_unchanged
from core.fields import fill_companions
from core.personal import RevealReason
from core.queue import enqueue_on_commit
from grids import geo, selectors
from grids.cover import COVERED_ROLES
from grids.models import (
    Area,
    CareCategory,
    Cover,
    Household,
    Leave,
    Post,
    Resident,
    ResidentCare,
)
from grids.policy import TerritoryCapability, roles_holding
from grids.roles import LEVEL_DEPTH, Level
from grids.scope import can, forget_posts, scope_changed, scope_paths
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


_HOUSEHOLD_FIELDS = ["grid", "micro_grid", "number", "address", "longitude", "latitude", "note"]


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
    number: str = "",
) -> Household:
    require(by, TerritoryCapability.EDIT_HOUSEHOLDS, micro_grid or grid)
    household = Household(
        grid=grid,
        micro_grid=micro_grid,
        number=number,
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


# --- Loading households and residents in bulk -----------------------------------------------


@dataclass(slots=True)
class HouseholdImport:
    """A household to create (``pk`` None) or to update, as an import found it."""

    key: int  # how this import's residents refer to it (the row number in the file)
    pk: int | None
    grid_id: int
    micro_grid_id: int | None
    number: str
    address: str
    longitude: float | None
    latitude: float | None
    note: str


@dataclass(slots=True)
class ResidentImport:
    """A resident to create (``pk`` None) or to update, in an existing household
    (``household_pk``) or one created by the same import (``household_key``)."""

    pk: int | None
    household_pk: int | None
    household_key: int | None
    name: str
    id_number: str
    phone: str
    relationship: str
    gender: str
    birth_date: dt.date | None
    status: str
    care: frozenset[str] | None  # None: leave the resident's care categories as they are
    key: int | None = None  # its row in the file, for messages


_IMPORT_HOUSEHOLD_FIELDS = [
    "grid",
    "micro_grid",
    "number",
    "address",
    "longitude",
    "latitude",
    "note",
]
_BATCH = 2000


def _care_tokens(categories) -> str:
    """Care categories as the audit log keeps them: their keyed tokens (core.fields), which
    the history page turns back into names; a dump of the log names none."""
    field = ResidentCare._meta.get_field("category")
    return ", ".join(field.get_prep_value(c) for c in sorted(categories))


def _batches(items: Sequence, size: int = _BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _problems(label: str, exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{label}: {message}" for messages in exc.message_dict.values() for message in messages
        ]
    return [f"{label}: {message}" for message in exc.messages]


def _write_unique(message: str, write, *args) -> None:
    """Run a bulk write; a unique constraint it breaks (another import, a form, since the
    check) is the user's problem to read, not a 500."""
    try:
        with transaction.atomic():
            write(*args)
    except IntegrityError as exc:
        detail = getattr(getattr(exc.__cause__, "diag", None), "message_detail", None)
        raise ValidationError(f"{message} {detail or ''}".strip()) from exc


def _update_in_bulk(objects: Sequence, fields: Sequence[str], now) -> None:
    """Save ``fields`` of many rows with one ``UPDATE … FROM (VALUES …)`` per batch, bumping
    each row's version. Django's bulk_update writes a CASE with a branch per row for each
    field, which the database evaluates for every row: quadratic in the batch, a minute for
    a tenth of a street."""
    model = type(objects[0])
    fields = fill_companions(model, objects, fields)  # keyed hashes of encrypted fields
    if connection.vendor != "postgresql":
        # The embedded default (SQLite, ``make run``) has no typed VALUES lists; its
        # district is a demo, so a statement per row is quick enough there.
        for obj in objects:
            model.objects.filter(pk=obj.pk).update(
                **{name: getattr(obj, name) for name in fields},
                updated_at=now,
                version=F("version") + 1,
            )
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    pk = meta.pk
    names = ", ".join(quote(c) for c in [pk.column, *(field.column for field in columns)])
    sets = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}::{field.db_type(connection)}"
        for field in columns
    )
    table = quote(meta.db_table)
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for batch in _batches(objects, 1000):
            params: list = []
            for obj in batch:
                params.append(obj.pk)
                params += [
                    field.get_db_prep_save(getattr(obj, field.attname), connection)
                    for field in columns
                ]
            cursor.execute(
                f"UPDATE {table} AS t SET {sets}, updated_at = %s, version = t.version + 1 "  # noqa: S608 - our own columns
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v({names}) "
                f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}::{pk.db_type(connection)}",
                [now, *params],
            )


@transaction.atomic
def import_households(
    *,
    by,
    area: Area,
    households: Sequence[HouseholdImport] = (),
    residents: Sequence[ResidentImport] = (),
    progress=None,
) -> dict[str, int]:
    """Create and update many households and residents at once (an import from a file).

    Every object passes its model's field validation and the one-row rules (``clean``)
    without a query per row: grids are read once, uniqueness is left to the constraints,
    whose violation becomes a ValidationError (the caller's transaction is rolled back).
    ``bulk_create`` and the bulk UPDATE send no model signals: each created or changed
    household and resident gets its audit entry from ``core.audit.log_bulk`` (a few INSERTs
    per batch), marked with the import run when the write runs inside ``core.audit.imported``.
    """
    require(by, TerritoryCapability.IMPORT_DATA, area)
    progress = progress or (lambda done, total: None)
    total = len(households) + len(residents)
    done = 0
    places = {
        place.pk: place
        for place in Area.objects.under(area).filter(level__in=[Level.GRID, Level.MICRO_GRID])
    }
    counts = dict.fromkeys(
        ("households_created", "households_updated", "residents_created", "residents_updated"),
        0,
    )
    grids_touched: set[int] = set()
    intervals: set[int] = set()  # households whose visit interval may have changed
    pk_of_key: dict[int, int] = {}
    now = timezone.now()
    outside = _("%(what)s lies outside %(area)s.")

    # Households.
    for batch in _batches(list(households)):
        problems: list[str] = []
        before = {
            pk: (grid_id, grid_path, micro_path)
            for pk, grid_id, grid_path, micro_path in Household.objects.filter(
                pk__in=[item.pk for item in batch if item.pk]
            ).values_list("pk", "grid_id", "grid__path", "micro_grid__path")
        }
        created, updated = [], []
        for item in batch:
            label = item.number or item.address
            grid = places.get(item.grid_id)
            micro = places.get(item.micro_grid_id) if item.micro_grid_id else None
            if grid is None or (item.micro_grid_id and micro is None):
                problems.append(outside % {"what": label, "area": area.name})
                continue
            if item.pk:
                found = before.get(item.pk)
                if found is None or not (
                    found[1].startswith(area.path) or (found[2] or "").startswith(area.path)
                ):
                    problems.append(outside % {"what": label, "area": area.name})
                    continue
                if found[0] != item.grid_id:
                    intervals.add(item.pk)  # another community may visit more often
                    grids_touched.add(found[0])
            household = Household(
                pk=item.pk,
                grid=grid,
                micro_grid=micro,
                number=item.number,
                address=item.address,
                longitude=item.longitude,
                latitude=item.latitude,
                note=item.note,
            )
            try:
                # Grids are known to lie in scope; uniqueness is the constraints' job.
                household.full_clean(
                    exclude=["grid", "micro_grid"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as exc:
                problems += _problems(label, exc)
                continue
            grids_touched.add(item.grid_id)
            if item.pk:
                updated.append((item, household))
            else:
                created.append((item, household))
        if problems:
            raise ValidationError(problems)
        taken = _("A household number or address in this file was taken meanwhile.")
        if created:
            _write_unique(taken, Household.objects.bulk_create, [h for _item, h in created])
            for item, household in created:
                pk_of_key[item.key] = household.pk
                intervals.add(household.pk)
        if updated:
            old_rows = Household.objects.in_bulk([h.pk for _item, h in updated])
            _write_unique(
                taken, _update_in_bulk, [h for _item, h in updated], _IMPORT_HOUSEHOLD_FIELDS, now
            )
            for item, _household in updated:
                pk_of_key[item.key] = item.pk
        log_bulk(
            [
                *((None, h) for _item, h in created),
                *((old_rows[h.pk], h) for _item, h in updated),
            ],
            actor=by,
            fields=_IMPORT_HOUSEHOLD_FIELDS,
        )
        counts["households_created"] += len(created)
        counts["households_updated"] += len(updated)
        done += len(batch)
        progress(done, total)

    # Residents.
    for batch in _batches(list(residents)):
        problems = []
        homes = {
            pk_of_key.get(item.household_key) if item.household_pk is None else item.household_pk
            for item in batch
        }
        homes.discard(None)
        before = {
            pk: (household_id, status)
            for pk, household_id, status in Resident.objects.filter(
                pk__in=[item.pk for item in batch if item.pk]
            ).values_list("pk", "household_id", "status")
        }
        # Where each household involved lies: the new homes and the ones residents leave.
        home_grid = {
            pk: grid_id
            for pk, grid_id, grid_path, micro_path in Household.objects.filter(
                pk__in=homes | {household_id for household_id, _status in before.values()}
            ).values_list("pk", "grid_id", "grid__path", "micro_grid__path")
            if grid_path.startswith(area.path) or (micro_path or "").startswith(area.path)
        }
        created, updated = [], []
        for item in batch:
            label = _("Resident on row %(row)s") % {"row": item.key} if item.key else item.name
            home = (
                pk_of_key.get(item.household_key)
                if item.household_pk is None
                else item.household_pk
            )
            if home not in home_grid:
                problems.append(outside % {"what": label, "area": area.name})
                continue
            if item.pk:
                previous = before.get(item.pk)
                if previous is None or previous[0] not in home_grid:
                    problems.append(outside % {"what": label, "area": area.name})
                    continue
                if previous[0] != home:  # moved house: both households and grids change
                    intervals.add(previous[0])
                    grids_touched.add(home_grid[previous[0]])
                if previous[0] != home or previous[1] != item.status:
                    intervals.add(home)
            resident = Resident(
                pk=item.pk,
                household_id=home,
                name=item.name,
                id_number=item.id_number,
                phone=item.phone,
                relationship=item.relationship,
                gender=item.gender,
                birth_date=item.birth_date,
                status=item.status,
            )
            try:
                resident.clean_fields(exclude=["household"])
            except ValidationError as exc:
                problems += _problems(label, exc)
                continue
            resident.take_from_id_number()
            unknown = set(item.care or ()) - set(CareCategory.values)
            if unknown:
                problems.append(f"{label}: {_('Unknown care category.')}")
                continue
            grids_touched.add(home_grid[home])
            if item.pk:
                updated.append((item, resident))
            else:
                created.append((item, resident))
        if problems:
            raise ValidationError(problems)
        taken = _("Another resident already has an ID number in this file.")
        if created:
            _write_unique(taken, Resident.objects.bulk_create, [r for _i, r in created])
        old_rows = Resident.objects.in_bulk([r.pk for _i, r in updated]) if updated else {}
        if updated:
            _write_unique(
                taken,
                _update_in_bulk,
                [r for _i, r in updated],
                [*RESIDENT_FIELDS, "household"],
                now,
            )
        # Care categories: kept ones keep their "since"; only the difference is written.
        current: defaultdict[int, set[str]] = defaultdict(set)
        for resident_id, category in ResidentCare.objects.filter(
            resident_id__in=[item.pk for item, _r in updated if item.care is not None]
        ).values_list("resident_id", "category"):
            current[resident_id].add(category)
        added: list[ResidentCare] = []
        dropped: defaultdict[str, list[int]] = defaultdict(list)
        care_changes: dict[int, dict] = {}
        for item, resident in (*created, *updated):
            if item.care is None:
                continue
            had = current.get(resident.pk, set())
            if had == set(item.care):
                continue
            care_changes[resident.pk] = {"care": [_care_tokens(had), _care_tokens(item.care)]}
            intervals.add(resident.household_id)
            added += [
                ResidentCare(resident_id=resident.pk, category=category)
                for category in sorted(set(item.care) - had)
            ]
            for category in had - set(item.care):
                dropped[category].append(resident.pk)
        for category, resident_ids in dropped.items():
            ResidentCare.objects.filter(resident_id__in=resident_ids, category=category).delete()
        ResidentCare.objects.bulk_create(added, batch_size=_BATCH)
        log_bulk(
            [
                *((None, r, care_changes.get(r.pk, {})) for _i, r in created),
                *((old_rows[r.pk], r, care_changes.get(r.pk, {})) for _i, r in updated),
            ],
            actor=by,
            fields=[*RESIDENT_FIELDS, "household"],
        )
        counts["residents_created"] += len(created)
        counts["residents_updated"] += len(updated)
        done += len(batch)
        progress(done, total)

    # The visits app recomputes due dates in chunks of its own; tallies follow on commit.
    if intervals:
        visit_interval_changed_for(sorted(intervals))
    _recount(*grids_touched)
    return counts


def _recount(*grid_ids: int) -> None:
    for grid_id in sorted(set(grid_ids)):
        enqueue_on_commit(refresh_grid_tally, grid_id)


REVEALABLE = ("id_number", "phone")


def log_personal_access(
    by,
    obj,
    fields: list[str],
    remote_addr: str | None,
    *,
    reason: str = "",
    reauthenticated: bool | None = None,
    stepup_at: dt.datetime | None = None,
) -> None:
    """An audit row saying ``by`` saw the full ``fields`` of ``obj`` (a resident, a member…),
    why (a ``RevealReason``), and whether and when the password was confirmed for it."""
    data: dict = {"revealed": fields}
    if reason:
        data["reason"] = reason
    if reauthenticated is not None:
        data["reauthenticated"] = reauthenticated
    if stepup_at is not None:
        data["stepup_at"] = stepup_at.isoformat()
    LogEntry.objects.log_create(
        obj,
        action=LogEntry.Action.ACCESS,
        force_log=True,
        actor=by,
        remote_addr=remote_addr,
        additional_data=data,
        changes={},
    )


def _require_reason(reason: str) -> None:
    if reason not in RevealReason.values:
        raise ValidationError(_("Choose why you need the full value."))


@transaction.atomic
def reveal_personal(
    *,
    by,
    resident: Resident,
    field: str,
    reason: str,
    reauthenticated: bool = False,
    stepup_at: dt.datetime | None = None,
    remote_addr: str | None = None,
) -> str:
    """The full ID or mobile number, for a user allowed to see it and saying why (the view
    has confirmed the step-up); every reveal is logged with its reason."""
    if field not in REVEALABLE:
        raise ValidationError(_("This field cannot be revealed."))
    require(by, TerritoryCapability.REVEAL_PERSONAL, resident.household.area)
    _require_reason(reason)
    value = getattr(resident, field)
    if value:
        log_personal_access(
            by,
            resident,
            [field],
            remote_addr,
            reason=reason,
            reauthenticated=reauthenticated,
            stepup_at=stepup_at,
        )
    return value


@transaction.atomic
def open_for_editing(
    *,
    by,
    resident: Resident,
    reason: str,
    reauthenticated: bool = False,
    stepup_at: dt.datetime | None = None,
    remote_addr: str | None = None,
) -> None:
    """The edit form shows full values: same permission, reason and audit as a reveal. The
    admin's form asks no reason (``reason=""``); it shows full values only after a step-up."""
    require(by, TerritoryCapability.REVEAL_PERSONAL, resident.household.area)
    if reason:
        _require_reason(reason)
    shown = [field for field in REVEALABLE if getattr(resident, field)]
    if shown:
        log_personal_access(
            by,
            resident,
            shown,
            remote_addr,
            reason=reason,
            reauthenticated=reauthenticated,
            stepup_at=stepup_at,
        )


# --- Posts ----------------------------------------------------------------------------------


@transaction.atomic
def appoint(
    *, by, user, area: Area, role: str, started_on: dt.date | None = None, note: str = ""
) -> Post:
    require(by, TerritoryCapability.MANAGE_POSTS, area)
    _require_above(by, role, area)
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
    _require_above(by, post.role, post.area)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if by is not None and post.user_id == by.pk:
        raise ValidationError(_("You cannot end your own post; ask another officer."))
    if post.ended_on is not None:
        raise ValidationError(_("This post has already ended."))
    post.ended_on = ended_on or timezone.localdate()
    post.full_clean(validate_constraints=False)
    post.save(update_fields=["ended_on"])
    forget_posts(post.user)
    if post.ended_on <= timezone.localdate() and not _holds_a_post(post.user):
        # Their last post: signed out everywhere now. An end date ahead is the nightly
        # sweep's (end_sessions_after_last_post).
        accounts_services.end_all_sessions(user=post.user, reason="last post ended")
    return post


def _holds_a_post(user) -> bool:
    # A superuser's access does not come from posts.
    return user.is_superuser or Post.objects.filter(user=user).active().exists()


# --- People: accounts managed by the officers who manage their posts --------------------------


def _person_posts(person) -> list[Post]:
    """The posts whose officers answer for ``person``: their active ones, or, for someone
    who holds none now, the posts they held."""
    prefetched = getattr(person, "_prefetched_objects_cache", {}).get("posts")
    if prefetched is None:
        posts = list(Post.objects.filter(user=person).select_related("area"))
    else:  # a list of people (selectors.people): no query per person
        posts = list(prefetched)
    today = timezone.localdate()
    return [post for post in posts if post.is_active(today)] or posts


def _require_above(by, role: str, area: Area) -> None:
    """An officer's post (one that manages posts) is given, and its holder managed, only from
    above: a peer must not take over a colleague's account or appoint a new peer."""
    if by is None or role not in roles_holding(TerritoryCapability.MANAGE_POSTS):
        return
    paths = scope_paths(by, TerritoryCapability.MANAGE_POSTS)
    if paths is None:  # everywhere
        return
    if not any(area.path.startswith(path) and area.path != path for path in paths):
        raise PermissionDenied(_("You do not have permission to do this here."))


def may_give(by, role: str, area: Area) -> bool:
    """Whether ``appoint`` would let ``by`` give ``role`` at ``area``, an area they manage
    posts at: an officer's post only from above."""
    try:
        _require_above(by, role, area)
    except PermissionDenied:
        return False
    return True


def may_end(by, post: Post) -> bool:
    """Whether ``end_post`` would let ``by`` end ``post``: what a page offers."""
    if post.user_id == by.pk or not can(by, TerritoryCapability.MANAGE_POSTS, post.area):
        return False
    try:
        _require_above(by, post.role, post.area)
    except PermissionDenied:
        return False
    return True


def require_person_in_scope(by, person) -> None:
    """Refuse unless ``by`` manages posts at every area ``person`` holds one: an officer may
    not act on someone who also answers to another area, or sits above them."""
    if by is None:
        return
    posts = _person_posts(person)
    if person.pk == by.pk or person.is_superuser or not posts:
        raise PermissionDenied(_("You do not have permission to do this here."))
    for post in posts:
        require(by, TerritoryCapability.MANAGE_POSTS, post.area)
        _require_above(by, post.role, post.area)


def person_in_scope(by, person) -> bool:
    try:
        require_person_in_scope(by, person)
    except PermissionDenied:
        return False
    return True


def people_in_scope(by, area: Area):
    """The people at ``area`` or below that ``by`` may act on."""
    found = selectors.people(area)
    return found.filter(pk__in=[p.pk for p in found if person_in_scope(by, p)])


@dataclass(slots=True)
class NewPerson:
    display_name: str
    phone: str
    username: str = ""
    # Send an activation link and code by SMS (accounts.services.invite) instead of
    # returning a temporary password: the person chooses their own.
    activate_by_sms: bool = False


@transaction.atomic
def give_post(
    *, by, area: Area, role: str, person=None, new: NewPerson | None = None, note: str = ""
) -> tuple[Post, str | None]:
    """Appoint an existing person in ``by``'s scope, or a new one, to ``role`` at ``area``.
    A new person gets a temporary password, returned once, that their first sign-in replaces,
    or (``new.activate_by_sms``) an activation code by SMS, and None is returned."""
    require(by, TerritoryCapability.MANAGE_POSTS, area)
    _require_above(by, role, area)  # before an account is made; appoint checks it again
    if (person is None) == (new is None):
        raise ValidationError(_("Pick a person or enter a new one, not both."))
    password = None
    if new is not None:
        username = new.username or _free_username(new.phone)
        person = accounts_services.create_account(
            username=username, phone=new.phone, display_name=new.display_name
        )
        post = appoint(by=by, user=person, area=area, role=role, note=note)
        if new.activate_by_sms:
            accounts_services.invite(user=person, by=by, send_sms=True)
        else:
            password = accounts_services.set_temporary_password(by=by, user=person)
    else:
        require_person_in_scope(by, person)
        post = appoint(by=by, user=person, area=area, role=role, note=note)
    return post, password


def _free_username(phone: str) -> str:
    taken = set(
        get_user_model()
        .objects.filter(username__startswith=phone or "person")
        .values_list("username", flat=True)
    )
    base = phone or "person"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@transaction.atomic
def invite_person(*, by, person):
    """Send the activation code again to a person whose account has no password yet
    (rate-limited in accounts: ``TooManyCodes``)."""
    require_person_in_scope(by, person)
    return accounts_services.invite(user=person, by=by, send_sms=True)


@transaction.atomic
def reset_password_for(*, by, person) -> str:
    require_person_in_scope(by, person)
    return accounts_services.set_temporary_password(by=by, user=person)


@transaction.atomic
def set_person_active(*, by, person, active: bool):
    require_person_in_scope(by, person)
    return accounts_services.set_active(by=by, user=person, active=active)


@transaction.atomic
def update_person_for(*, by, person, display_name: str, phone: str):
    require_person_in_scope(by, person)
    return accounts_services.update_person(
        by=by, user=person, display_name=display_name, phone=phone
    )


# --- Cover (AB岗): a colleague who stands in while a grid worker is on leave ------------------


def community_path(area: Area) -> str:
    return area.path[: LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen]


def community_grid_people(area: Area):
    """Who holds a grid post (one that may be covered) in ``area``'s community today."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            posts__in=Post.objects.active().filter(
                role__in=COVERED_ROLES, area__path__startswith=community_path(area)
            ),
        )
        .distinct()
    )


def cover_candidates(post: Post):
    """Who may cover ``post``: someone else holding a grid post in the same community."""
    return community_grid_people(post.area).exclude(pk=post.user_id).order_by("display_name", "pk")


@transaction.atomic
def set_cover(*, by, post: Post, covered_by) -> Cover | None:
    """Name ``covered_by`` as the colleague who covers ``post`` (B for A), or, with None,
    stop covering it."""
    require(by, TerritoryCapability.MANAGE_POSTS, post.area)
    post = Post.objects.select_for_update().select_related("area").get(pk=post.pk)
    if post.role not in COVERED_ROLES or not post.is_active():
        raise ValidationError(_("Only a current grid post can be covered."))
    cover = Cover.objects.filter(post=post).first()
    if covered_by is None:
        if cover is not None and cover.active:
            cover.active = False
            cover.save(update_fields=["active", "updated_at"])
        return cover
    if not cover_candidates(post).filter(pk=covered_by.pk).exists():
        raise ValidationError(
            {
                "covered_by": _("%(user)s holds no grid post in this community.")
                % {"user": covered_by}
            }
        )
    cover = cover or Cover(post=post)
    cover.covered_by, cover.active = covered_by, True
    cover.full_clean()
    cover.save()
    return cover


@transaction.atomic
def record_leave(*, by, user, starts_on: dt.date, ends_on: dt.date, reason: str = "") -> Leave:
    """Record a grid worker's leave (both days included); leave overlapping theirs is refused."""
    if not _grid_posts(user.pk, starts_on):
        raise ValidationError(_("%(user)s holds no grid post.") % {"user": user})
    _lock_person(by, user.pk, starts_on)
    leave = Leave(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason, recorded_by=by)
    leave.full_clean()
    leave.save()
    return leave


def _grid_posts(user_id: int, on: dt.date) -> list[Post]:
    return list(
        Post.objects.active(on)
        .filter(user_id=user_id, role__in=COVERED_ROLES)
        .select_related("area")
    )


def _lock_person(by, user_id: int, on: dt.date) -> None:
    """Only an officer who manages one of the person's grid posts writes their leave; one
    writer at a time per person, so two overlapping leaves cannot both pass the check."""
    posts = _grid_posts(user_id, on)
    if not any(can(by, TerritoryCapability.MANAGE_POSTS, p.area) for p in posts):
        raise PermissionDenied(_("You may not change this leave."))
    get_user_model().objects.select_for_update().filter(pk=user_id).first()


def _lock_leave(by, leave: Leave) -> Leave:
    _lock_person(by, leave.user_id, timezone.localdate())
    return Leave.objects.select_related("user").get(pk=leave.pk)


@transaction.atomic
def update_leave(
    *, by, leave: Leave, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> Leave:
    """Change a leave's dates (both days included): a leave already over stays as it was,
    and one under way keeps its first day (the days taken were taken)."""
    leave = _lock_leave(by, leave)
    today = timezone.localdate()
    if leave.is_over(today):
        raise ValidationError(_("This leave is over: it stays as it was."))
    if leave.has_begun(today) and starts_on != leave.starts_on:
        raise ValidationError(
            {"starts_on": _("This leave has begun: its first day cannot change.")}
        )
    if not leave.has_begun(today) and starts_on < today:
        raise ValidationError({"starts_on": _("A leave cannot be moved into the past.")})
    if ends_on < today:
        raise ValidationError({"ends_on": _("The last day of leave cannot be in the past.")})
    leave.starts_on, leave.ends_on, leave.reason = starts_on, ends_on, reason
    leave.full_clean()
    leave.save()
    return leave


@transaction.atomic
def end_leave(*, by, leave: Leave) -> Leave | None:
    """The person is back: a leave under way ends yesterday (they work today, and their
    colleague no longer stands in); one that has not begun is cancelled (None). One that
    began today is cancelled too: nothing of it was taken."""
    leave = _lock_leave(by, leave)
    today = timezone.localdate()
    if leave.is_over(today):
        raise ValidationError(_("This leave is over: it stays as it was."))
    if leave.starts_on >= today:
        leave.delete()
        return None
    leave.ends_on = today - dt.timedelta(days=1)
    leave.full_clean()
    leave.save()
    return leave
