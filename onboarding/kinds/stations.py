"""Service stations (阵地), by their permanent code ("阵地纳入编码管理").

A station is written with ``stations.services.create_station`` / ``update_station``, so its
rules are the app's: the levels each kind serves, a point inside the area it serves, one
open centre per community.
"""

from __future__ import annotations

import copy
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.personal import normalize_phone, validate_phone
from onboarding.kinds.support import (
    BAD,
    area_cell,
    areas_by_code,
    duplicate,
    label,
    read_row,
    report_invalid,
    under,
    usable,
    yes_no,
)
from onboarding.spec import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CellError,
    Column,
    Job,
    Kind,
    Sheet,
    boolean,
    fold,
    items,
    number,
)
from stations import services as station_services
from stations.models import STATION_LEVELS, ServiceType, Station
from stations.models import Kind as StationKindChoice
from stations.policy import StationCapability

STATIONS = Sheet(
    "stations",
    "Service stations",
    "阵地",
    (
        Column(
            "code",
            "Station code",
            "阵地编码",
            required=True,
            text=True,
            example="ST-0101",
            help=gettext_lazy("Permanent code printed on posters: letters, digits, - and _."),
        ),
        Column("name", "Name", "名称", required=True, example="幸福社区党群服务中心", width=28),
        Column(
            "kind",
            "Kind",
            "阵地类型",
            required=True,
            choices=lambda: StationKindChoice.choices,
            example="grid_station",
            width=24,
            help=gettext_lazy("Service centre, grid station, rider rest stop or other."),
        ),
        Column(
            "area",
            "Area code",
            "服务区域编码",
            required=True,
            text=True,
            example="G-0101",
            help=gettext_lazy("The grid it serves, or for a centre its community or village."),
        ),
        Column("address", "Address", "地址", required=True, width=28),
        Column(
            "longitude",
            "Longitude",
            "经度",
            required=True,
            example="119.95",
            help=gettext_lazy("Where it stands (WGS 84): inside the area it serves."),
        ),
        Column("latitude", "Latitude", "纬度", required=True, example="31.78"),
        Column(
            "opening_hours",
            "Opening hours",
            "开放时间",
            width=24,
            example="周一至周五 8:30–17:30",
        ),
        Column(
            "phone",
            "Phone",
            "联系电话",
            text=True,
            example="0519-8888 6666",
            help=gettext_lazy("The station's own number, shown publicly: never a person's mobile."),
        ),
        Column(
            "services",
            "Services",
            "服务项目",
            width=28,
            example="党务服务、政务服务",
            help=gettext_lazy("Services offered, by code or name, separated by 、 or commas."),
        ),
        Column("description", "Description", "简介", width=28),
        Column(
            "is_open",
            "Open",
            "是否开放",
            example="yes",
            help=gettext_lazy("Yes or no; empty: yes."),
        ),
    ),
)
FIELDS = (
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
)


def _phone(text: str) -> str:
    if not text:
        return ""
    value = normalize_phone(text)
    try:
        validate_phone(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return value


def _degrees(text: str, bound: int) -> float | None:
    value = number(text, low=-bound, high=bound)
    if value is not None and not math.isfinite(value):  # "nan" reads as a float
        raise CellError(_("Not a number."))
    return value


class StationsKind(Kind):
    name = "stations"
    capability = StationCapability.MANAGE_STATIONS
    label = gettext_lazy("Service stations")
    sheets = (STATIONS,)
    notes = (
        gettext_lazy(
            "One row per station. A known code updates that station, its services "
            "included (the services listed replace those it had). Stations are never "
            "deleted by an import: mark a closed one as not open."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = STATIONS
        parsers = {
            "code": None,
            "name": None,
            "kind": None,
            "area": None,
            "address": None,
            "longitude": lambda text: _degrees(text, 180),
            "latitude": lambda text: _degrees(text, 90),
            "opening_hours": None,
            "phone": _phone,
            "services": items,
            "description": None,
            "is_open": boolean,
        }
        read = [read_row(job, sheet, row, parsers) for row in job.rows.get("stations", [])]
        # The areas' boundaries are read with them: a station must stand inside its area.
        areas = areas_by_code((v["area"] for v in read), boundaries=True)
        existing = {
            s.code: s
            for s in Station.objects.filter(
                code__in={v["code"] for v in read if v["code"] is not BAD}
            ).select_related("area")
        }
        offered: dict[int, set[int]] = {}
        for station_id, service_id in Station.services.through.objects.filter(
            station__in=[s.pk for s in existing.values()]
        ).values_list("station_id", "servicetype_id"):
            offered.setdefault(station_id, set()).add(service_id)
        catalogue: dict[str, ServiceType] = {}
        for service in ServiceType.objects.all():
            for name in (service.code, service.name_en, service.name_zh):
                catalogue[fold(name)] = service

        plan: list[dict] = []
        seen: dict = {}
        centres: dict = {}
        for values in read:
            row = values["row"]
            values["area"] = area_cell(
                job, sheet, row, "area", values["area"], areas, STATION_LEVELS
            )
            values["services"] = self._services(job, values, catalogue)
            code = values["code"]
            if code is not BAD and duplicate(job, sheet, row, "code", seen, code):
                continue
            current = existing.get(code) if code is not BAD else None
            if current is not None and not under(current.area, job.area):
                job.report.cell(
                    sheet,
                    row,
                    "code",
                    _("This code belongs to a station outside %(area)s.") % {"area": job.area.name},
                )
                continue
            if not usable(values):
                continue
            fields = {field: values[field] for field in FIELDS}
            fields["is_open"] = True if values["is_open"] is None else values["is_open"]
            service_ids = {service.pk for service in values["services"]}
            if current is None:
                outcome = CREATED
                probe = Station(code=code)
            elif (
                any(getattr(current, f) != v for f, v in fields.items() if f != "area")
                or current.area_id != fields["area"].pk
                or offered.get(current.pk, set()) != service_ids
            ):
                outcome = UPDATED
                probe = copy.copy(current)
            else:
                outcome = UNCHANGED
                probe = None
            if probe is not None:
                for field, value in fields.items():
                    setattr(probe, field, value)
                try:
                    probe.full_clean(
                        exclude=["area", "grid"], validate_unique=False, validate_constraints=False
                    )
                except ValidationError as exc:
                    report_invalid(job, sheet, row, exc, {"is_open": "kind"})
                    continue
            if (
                fields["kind"] == StationKindChoice.CENTRE
                and fields["is_open"]
                and duplicate(job, sheet, row, "kind", centres, fields["area"].pk)
            ):
                continue
            values.update(current=current, outcome=outcome, fields=fields)
            job.tallies["stations"].add(outcome)
            plan.append(values)
        # A centre closed by a row frees its community for another: close before opening.
        plan.sort(key=lambda values: values["fields"]["is_open"])
        job.plan = plan

    def _services(self, job: Job, values: dict, catalogue: dict):
        names = values["services"]
        if names is BAD:
            return BAD
        found, unknown = [], []
        for name in names:
            service = catalogue.get(fold(name))
            if service is None:
                unknown.append(name)
            elif service not in found:
                found.append(service)
        if unknown:
            job.report.cell(
                STATIONS,
                values["row"],
                "services",
                _("Not in the catalogue of services: %(names)s.") % {"names": "、".join(unknown)},
            )
            return BAD
        return found

    def write(self, job: Job) -> None:
        total = len(job.plan)
        for position, values in enumerate(job.plan, 1):
            job.progress(position, total)
            if values["outcome"] == UNCHANGED:
                continue
            try:
                if values["outcome"] == CREATED:
                    station_services.create_station(
                        by=job.by,
                        code=values["code"],
                        services=values["services"],
                        **values["fields"],
                    )
                else:
                    station_services.update_station(
                        by=job.by,
                        station=values["current"],
                        services=values["services"],
                        **values["fields"],
                    )
            except ValidationError as exc:
                report_invalid(job, STATIONS, values["row"], exc, {"is_open": "kind"})
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        stations = (
            Station.objects.filter(area__path__startswith=job.area.path)
            .select_related("area")
            .defer("area__boundary")
            .prefetch_related("services")
            .order_by("code")
        )

        def rows():
            for station in stations:
                yield [
                    station.code,
                    station.name,
                    label(StationKindChoice, station.kind),
                    station.area.code,
                    station.address,
                    station.longitude,
                    station.latitude,
                    station.opening_hours,
                    station.phone,
                    "、".join(service.code for service in station.services.all()),
                    station.description,
                    yes_no(job, station.is_open),
                ]

        return {"stations": rows()}
