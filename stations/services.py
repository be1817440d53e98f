"""Every write to stations, inspections, activities and people served.

Pages, the admin, the demo and commands call these functions, so each rule (who may,
where, validation, photo cleaning) is enforced in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point

from core.concurrency import save_if_unchanged
from core.images import clean_image
from grids.models import Area, Post
from grids.roles import LEVEL_DEPTH, Level
from grids.services import require
from stations.models import (
    BOUNDARY_SLACK_DEG,
    Activity,
    ActivityPhoto,
    Facility,
    Inspection,
    InspectionItem,
    Item,
    MonthlyServed,
    ServiceType,
    Station,
    StationPhoto,
    StationStaff,
)
from stations.policy import StationCapability

MAX_ACTIVITY_PHOTOS = 6
MAX_STATION_PHOTOS = 12
_COMMUNITY_PATH_LENGTH = LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen


# --- Helpers ----------------------------------------------------------------------------------


def standing_grid(area: Area, longitude: float, latitude: float) -> Area | None:
    """The grid a point in ``area`` stands in: the area itself, or the grid holding the point."""
    if area.level == Level.GRID:
        return area
    candidates = Area.objects.filter(
        path__startswith=area.path,
        level=Level.GRID,
        bbox_west__lte=longitude + BOUNDARY_SLACK_DEG,
        bbox_east__gte=longitude - BOUNDARY_SLACK_DEG,
        bbox_south__lte=latitude + BOUNDARY_SLACK_DEG,
        bbox_north__gte=latitude - BOUNDARY_SLACK_DEG,
    ).order_by("path")
    point = Point(longitude, latitude)
    inside = [grid for grid in candidates if grid.geometry and grid.geometry.contains(point)]
    if inside:
        return inside[0]
    near = [
        grid
        for grid in candidates
        if grid.geometry and grid.geometry.buffer(BOUNDARY_SLACK_DEG).contains(point)
    ]
    return near[0] if near else None


def community_path(area: Area) -> str:
    """The path of the community or village an area lies in (the area's own above that)."""
    return area.path[:_COMMUNITY_PATH_LENGTH] if area.depth >= 3 else area.path


def staff_candidates(area: Area):
    """People who may be put on duty at a station serving ``area``: anyone holding a post
    in its community or village (officers, grid workers, volunteers)."""
    posts = Post.objects.active().filter(area__path__startswith=community_path(area))
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=posts.values("user_id"))
        .order_by("display_name", "username")
    )


def _check_staff(area: Area, users: Iterable) -> list[int]:
    """Ids of ``users``, if each may be on duty at a station serving ``area``."""
    wanted = {user.pk: user for user in users}
    allowed = set(staff_candidates(area).filter(pk__in=list(wanted)).values_list("pk", flat=True))
    refused = [str(wanted[pk]) for pk in wanted if pk not in allowed]
    if refused:
        raise ValidationError(
            {
                "staff": _("%(names)s hold no post in this community.")
                % {"names": ", ".join(sorted(refused))}
            }
        )
    return sorted(wanted)


def _set_staff(station: Station, user_ids: list[int]) -> None:
    current = set(station.duties.values_list("user_id", flat=True))
    station.duties.exclude(user_id__in=user_ids).delete()
    StationStaff.objects.bulk_create(
        StationStaff(station=station, user_id=pk) for pk in user_ids if pk not in current
    )


def _catalogue(model, entries: Iterable) -> list:
    entries = list(entries)
    ids = [entry.pk if hasattr(entry, "pk") else entry for entry in entries]
    found = list(model.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError(_("Unknown catalogue entry."))
    return found


def _save_station(station: Station, write) -> None:
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        text = str(exc)
        if "station_one_open_centre_per_area" in text:
            raise ValidationError(
                {"kind": _("This community already has an open service centre.")}
            ) from exc
        if "code" in text:
            raise ValidationError({"code": _("Another station already has this code.")}) from exc
        raise


# --- Stations ---------------------------------------------------------------------------------

STATION_FIELDS = [
    "name",
    "kind",
    "area",
    "address",
    "longitude",
    "latitude",
    "opening_hours",
    "phone",
    "description",
    "is_open",
]


@transaction.atomic
def create_station(
    *,
    by,
    code: str,
    name: str,
    kind: str,
    area: Area,
    address: str,
    longitude: float,
    latitude: float,
    opening_hours: str = "",
    phone: str = "",
    description: str = "",
    is_open: bool = True,
    services: Iterable[ServiceType] = (),
    facilities: Iterable[Facility] = (),
    staff: Iterable = (),
) -> Station:
    require(by, StationCapability.MANAGE_STATIONS, area)
    station = Station(
        code=code,
        name=name,
        kind=kind,
        area=area,
        address=address,
        longitude=longitude,
        latitude=latitude,
        opening_hours=opening_hours,
        phone=phone,
        description=description,
        is_open=is_open,
    )
    station.full_clean()
    staff_ids = _check_staff(area, staff)
    station.grid = standing_grid(area, longitude, latitude)
    _save_station(station, station.save)
    station.services.set(_catalogue(ServiceType, services))
    station.facilities.set(_catalogue(Facility, facilities))
    _set_staff(station, staff_ids)
    return station


@transaction.atomic
def update_station(
    *,
    by,
    station: Station,
    expected_version: int | None = None,
    services: Iterable[ServiceType] | None = None,
    facilities: Iterable[Facility] | None = None,
    staff: Iterable | None = None,
    **fields: Any,
) -> Station:
    require(by, StationCapability.MANAGE_STATIONS, station.area)
    if "code" in fields and fields.pop("code") != station.code:
        raise ValidationError(
            {"code": _("A station's code is permanent; it is printed on posters.")}
        )
    unknown = set(fields) - set(STATION_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(station, name, value)
    station.full_clean()
    # Moving a station to another area needs the right to manage there too.
    require(by, StationCapability.MANAGE_STATIONS, station.area)
    staff_ids = _check_staff(station.area, staff) if staff is not None else None
    chosen_services = _catalogue(ServiceType, services) if services is not None else None
    chosen_facilities = _catalogue(Facility, facilities) if facilities is not None else None
    station.grid = standing_grid(station.area, station.longitude, station.latitude)
    _save_station(
        station,
        lambda: save_if_unchanged(station, expected_version, [*STATION_FIELDS, "grid"]),
    )
    if chosen_services is not None:
        station.services.set(chosen_services)
    if chosen_facilities is not None:
        station.facilities.set(chosen_facilities)
    if staff_ids is not None:
        _set_staff(station, staff_ids)
    return station


@transaction.atomic
def add_station_photo(*, by, station: Station, image, caption: str = "") -> StationPhoto:
    require(by, StationCapability.MANAGE_STATIONS, station.area)
    if station.photos.count() >= MAX_STATION_PHOTOS:
        raise ValidationError(
            {
                "image": _("A station keeps at most %(n)d photos: delete one first.")
                % {"n": MAX_STATION_PHOTOS}
            }
        )
    photo = StationPhoto(station=station, caption=caption, uploaded_by=by)
    photo.image = _clean(image, "image")
    photo.full_clean()
    photo.save()
    return photo


@transaction.atomic
def delete_station_photo(*, by, photo: StationPhoto) -> None:
    require(by, StationCapability.MANAGE_STATIONS, photo.station.area)
    name, storage = photo.image.name, photo.image.storage
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))


def _clean(upload, field: str):
    try:
        return clean_image(upload)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


# --- Standardisation inspections --------------------------------------------------------------


@transaction.atomic
def record_inspection(
    *,
    by,
    station: Station,
    results: Mapping[str, Mapping[str, Any]],
    inspected_on: dt.date | None = None,
    note: str = "",
) -> Inspection:
    """Record all seven items: ``results[item] = {"passed": bool, "note": str, "photo": file}``."""
    require(by, StationCapability.INSPECT_STATIONS, station.area)
    missing = [Item(item).label for item in Item.values if item not in results]
    if missing:
        raise ValidationError(
            _("Every item must be judged; missing: %(items)s.")
            % {"items": ", ".join(str(label) for label in missing)}
        )
    unknown = set(results) - set(Item.values)
    if unknown:
        raise ValidationError(_("Unknown inspection item."))
    inspection = Inspection(
        station=station,
        inspected_on=inspected_on or timezone.localdate(),
        inspector=by,
        note=note,
        passed=all(bool(results[item]["passed"]) for item in Item.values),
    )
    inspection.full_clean()
    items = []
    for item in Item.values:
        result = results[item]
        row = InspectionItem(
            item=item, passed=bool(result["passed"]), note=(result.get("note") or "").strip()
        )
        if result.get("photo"):
            row.photo = _clean(result["photo"], f"photo_{item}")
        row.full_clean(exclude=["inspection"])
        items.append(row)
    inspection.save()
    for row in items:
        row.inspection = inspection
        row.save()
    return inspection


# --- Activities and people served ------------------------------------------------------------


@transaction.atomic
def log_activity(
    *,
    by,
    station: Station,
    title: str,
    kind: str,
    attendance: int,
    held_on: dt.date | None = None,
    description: str = "",
    photos: Iterable = (),
) -> Activity:
    require(by, StationCapability.LOG_ACTIVITIES, station.area)
    photos = list(photos)
    if len(photos) > MAX_ACTIVITY_PHOTOS:
        raise ValidationError(
            {"photos": _("At most %(n)d photos per activity.") % {"n": MAX_ACTIVITY_PHOTOS}}
        )
    activity = Activity(
        station=station,
        held_on=held_on or timezone.localdate(),
        title=title,
        kind=kind,
        attendance=attendance,
        description=description,
        recorded_by=by,
    )
    activity.full_clean()
    cleaned = [_clean(photo, "photos") for photo in photos]
    activity.save()
    for image in cleaned:
        ActivityPhoto.objects.create(activity=activity, image=image)
    return activity


@transaction.atomic
def record_served(
    *, by, station: Station, month: dt.date, people: int, note: str = ""
) -> MonthlyServed:
    """Set the number of people served in ``month`` (any day of it); a second entry replaces."""
    require(by, StationCapability.LOG_ACTIVITIES, station.area)
    month = month.replace(day=1)
    probe = MonthlyServed(station=station, month=month, people=people, note=note, recorded_by=by)
    probe.full_clean(validate_unique=False, validate_constraints=False)
    # update_or_create locks the row, and retries a lost race to create it as an update.
    row, _created = MonthlyServed.objects.update_or_create(
        station=station, month=month, defaults={"people": people, "note": note, "recorded_by": by}
    )
    return row
