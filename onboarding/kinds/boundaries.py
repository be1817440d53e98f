"""Boundaries: the polygons of existing areas, from a GeoJSON FeatureCollection.

Areas come first (the areas kind); this kind only draws them. Each feature names its area by
a code property and carries a Polygon or MultiPolygon. The whole file is judged as one final
state (grids.services.check_boundaries), so neighbours may move their shared edge in one file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids import geo
from grids import services as grid_services
from grids.models import Area
from grids.policy import TerritoryCapability
from onboarding import files
from onboarding.spec import UNCHANGED, UPDATED, Column, Job, Kind, Option, Row, Sheet, fold

FEATURES = Sheet(
    "features",
    "Features",
    "要素",
    (
        Column(
            "code",
            "Code",
            "编码",
            required=True,
            text=True,
            example="G-0101",
            help=gettext_lazy(
                "Feature property holding the code of an existing area (code, 编码, "
                "grid_code… or the property named in the import's options)."
            ),
        ),
        Column(
            "name",
            "Name",
            "名称",
            example="幸福花园网格",
            width=24,
            help=gettext_lazy(
                "Feature property with the area's name, to help you find it in the report; "
                "names are changed by the areas import, not here."
            ),
        ),
    ),
)
INDEX = {"code": 0, "name": 1}

# Properties tried, in order, when the import does not name the one holding the code.
CODE_PROPERTIES = (
    "code",
    "CODE",
    "Code",
    "编码",
    "grid_code",
    "GRID_CODE",
    "area_code",
    "AREA_CODE",
    "网格编码",
    "区域编码",
)
NAME_PROPERTIES = ("name", "NAME", "Name", "名称", "grid_name", "GRID_NAME", "网格名称")
# Folded spellings (WGS-84, gcj_02, EPSG:4326…) to the option.
CRS = {"wgs84": "wgs84", "epsg:4326": "wgs84", "gcj02": "gcj02"}


@dataclass
class Feature:
    number: int
    code: str
    geometry: Any  # the feature's geometry as read; judged in check
    problem: str = ""


@dataclass
class Features:
    """What ``load`` found, for ``check``: Row holds text cells only."""

    by_number: dict[int, Feature] = field(default_factory=dict)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code_property(job: Job) -> str:
    return str(job.options.get("code_property") or "").strip()


def load_features(job: Job, handle, extension: str) -> None:
    """Read the FeatureCollection into one row per feature (code, name)."""
    data = files.read_json(handle)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise files.FileRefused(
            _("The file is not a GeoJSON FeatureCollection (its type must be FeatureCollection).")
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise files.FileRefused(_("The FeatureCollection has no list of features."))
    if len(features) > files.max_rows():
        raise files.FileRefused(
            _("A file may hold at most %(rows)s features; split the file.")
            % {"rows": files.max_rows()}
        )
    named = _code_property(job)
    found = Features()
    rows: list[Row] = []
    for number, feature in enumerate(features, 1):
        code, name, geometry, problem = "", "", None, ""
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problem = _("This is not a GeoJSON Feature.")
        else:
            properties = feature.get("properties")
            properties = properties if isinstance(properties, dict) else {}
            geometry = feature.get("geometry")
            if named:
                code = _text(properties.get(named))
                if not code:
                    problem = _("This feature has no property %(name)s.") % {"name": named}
            else:
                code = next(
                    (_text(properties[p]) for p in CODE_PROPERTIES if _text(properties.get(p))),
                    "",
                )
                if not code:
                    problem = _(
                        "This feature has no code property (%(names)s); name the property "
                        "that holds the code in the import's options."
                    ) % {"names": ", ".join(CODE_PROPERTIES[:5])}
            name = next(
                (_text(properties[p]) for p in NAME_PROPERTIES if _text(properties.get(p))), ""
            )
        rows.append(Row(number, (code, name), INDEX))
        found.by_number[number] = Feature(number, code, geometry, problem)
    job.rows["features"] = rows
    job.plan = found


def _crs(job: Job) -> str | None:
    value = fold(str(job.options.get("crs") or "wgs84")).replace("-", "")
    return CRS.get(value)


class BoundariesKind(Kind):
    name = "boundaries"
    capability = TerritoryCapability.EDIT_AREAS
    label = gettext_lazy("Boundaries")
    sheets = (FEATURES,)
    formats = ("geojson",)
    load = staticmethod(load_features)
    options = (
        Option(
            "crs",
            gettext_lazy("Coordinate system"),
            choices=lambda: [
                ("wgs84", gettext_lazy("WGS-84 (GPS, surveying offices)")),
                ("gcj02", gettext_lazy("GCJ-02 (Amap, Tencent and other Chinese maps)")),
            ],
            default="wgs84",
            required=True,
        ),
        Option(
            "code_property",
            gettext_lazy("Property holding the area code"),
            help=gettext_lazy("Empty: code, 编码, grid_code… are tried in turn."),
        ),
    )
    notes = (
        gettext_lazy(
            "Boundaries are imported from a GeoJSON file (.geojson), not from this workbook: "
            "a FeatureCollection with one Feature per area, its geometry a Polygon or "
            "MultiPolygon in longitude/latitude, its properties holding the area's code."
        ),
        gettext_lazy(
            "The areas must exist already (import them first). A boundary must lie inside "
            "its parent's, must not overlap its neighbours' and must still hold its own "
            "children's; the whole file is judged at once, so neighbours may move their "
            "shared edge together."
        ),
        gettext_lazy(
            "Coordinates are WGS-84 (GPS). Boundaries drawn on Amap, Tencent or other Chinese "
            "map services are in GCJ-02 (火星坐标): choose GCJ-02 when importing and they are "
            "converted. Exports are always WGS-84."
        ),
        gettext_lazy(
            "Nothing is written until every feature passes: upload the file, read the report, "
            "correct it, and upload it again. Importing the same file twice changes nothing."
        ),
        gettext_lazy(
            'Example feature: {"type": "Feature", "properties": {"code": "G-0101", '
            '"name": "幸福花园网格"}, "geometry": {"type": "Polygon", "coordinates": '
            "[[[120.0, 31.0], [120.1, 31.0], [120.1, 31.1], [120.0, 31.1], [120.0, 31.0]]]}}"
        ),
    )

    def check(self, job: Job) -> None:
        report, sheet, root = job.report, FEATURES, job.area
        loaded: Features = job.plan if isinstance(job.plan, Features) else Features()
        job.plan = []
        crs = _crs(job)
        if crs is None:
            report.file(
                _("Unknown coordinate system %(crs)s: choose WGS-84 or GCJ-02.")
                % {"crs": job.options.get("crs")}
            )
            return
        rows = {row.number: row for row in job.rows.get("features", [])}
        first_of: dict[str, int] = {}
        boundaries: dict[str, tuple[Row, dict]] = {}
        for row in rows.values():
            feature = loaded.by_number[row.number]
            if feature.problem:
                report.cell(sheet, row, "code", feature.problem)
                continue
            code = feature.code
            if code in first_of:
                report.cell(
                    sheet,
                    row,
                    "code",
                    _("The same code is on feature %(row)s.") % {"row": first_of[code]},
                )
                continue
            first_of[code] = row.number
            try:
                geometry = geo.validate_geometry(feature.geometry)
                if crs == "gcj02":
                    geometry = geo.validate_geometry(
                        geo.as_geojson(geo.gcj02_to_wgs84_geometry(geometry))
                    )
            except ValidationError as exc:
                for message in exc.messages:
                    report.cell(sheet, row, "code", message)
                continue
            boundaries[code] = (row, geo.as_geojson(geometry))
        areas = {area.code: area for area in Area.objects.filter(code__in=list(first_of))}
        changes: list[tuple[Area, dict]] = []
        for code, number in first_of.items():
            row = rows[number]
            area = areas.get(code)
            if area is None:
                report.cell(sheet, row, "code", _("No area has this code."))
            elif not area.path.startswith(root.path):
                report.cell(
                    sheet,
                    row,
                    "code",
                    _("This code belongs to an area outside %(area)s.") % {"area": root.name},
                )
            elif code in boundaries:
                changes.append((area, boundaries[code][1]))
        job.progress(0, len(changes))
        problems = grid_services.check_boundaries(changes)
        job.progress(len(changes), len(changes))
        plan = []
        for area, boundary in changes:
            row = boundaries[area.code][0]
            if problems.get(area.code):
                for message in problems[area.code]:
                    report.cell(sheet, row, "code", message)
                continue
            same = geo.same_geometry(geo.to_geometry(boundary), area.geometry)
            outcome = UNCHANGED if same else UPDATED
            job.tallies["features"].add(outcome)
            if outcome == UPDATED:
                plan.append((row, area, boundary))
        job.plan = plan

    def write(self, job: Job) -> None:
        total = len(job.plan)
        job.progress(0, total)
        rows = {area.code: row for row, area, _boundary in job.plan}
        try:
            grid_services.update_boundaries(
                by=job.by, boundaries=[(area, boundary) for _row, area, boundary in job.plan]
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            for code, errors in exc.message_dict.items():
                for message in errors:
                    if code in rows:
                        job.report.cell(FEATURES, rows[code], "code", message)
                    else:
                        job.report.file(f"{code}: {message}")
            raise ValidationError(
                _("Some features could not be written; nothing was imported.")
            ) from exc
        job.progress(total, total)

    def export(self, job: Job):
        """The features' codes and names; the file itself is ``export_geojson``."""
        areas = _mapped(job.area).values_list("code", "name")
        return {"features": ([code, name] for code, name in areas.iterator())}

    def export_geojson(self, job: Job) -> bytes:
        """The mapped areas under ``job.area`` (itself included) as a FeatureCollection in
        WGS-84, which imports again unchanged; ``job.rows`` lists what was written."""
        features, rows = [], []
        fields = ("code", "name", "level", "boundary")
        for number, (code, name, level, boundary) in enumerate(
            _mapped(job.area).values_list(*fields).iterator(), 1
        ):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name, "level": level},
                    "geometry": boundary,
                }
            )
            rows.append(Row(number, (code, name), INDEX))
        job.rows["features"] = rows
        collection = {"type": "FeatureCollection", "features": features}
        return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _mapped(root: Area):
    return Area.objects.under(root).exclude(boundary=None).order_by("path")
