"""Boundaries: GeoJSON polygons checked with shapely.

Coordinates are longitude/latitude degrees. Areas are reported in square
metres through a local equirectangular projection, which is accurate to well
under 1% at the size of a district; tolerances absorb floating-point seams
where two hand-drawn boundaries share an edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.affinity import scale
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.strtree import STRtree
from shapely.validation import explain_validity

# Slivers smaller than this (square metres) are drawing noise, not gaps or overlaps.
TOLERANCE_M2 = 1.0
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LNG_EQUATOR = 111_320.0


def to_geometry(geojson: dict[str, Any] | None) -> BaseGeometry | None:
    if not geojson:
        return None
    return shape(geojson)


def validate_geometry(geojson: Any) -> BaseGeometry:
    """A valid, non-empty Polygon or MultiPolygon in longitude/latitude, or ValidationError."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(
            _("A boundary must be a GeoJSON Polygon or MultiPolygon."), code="geometry_type"
        )
    try:
        geometry = shape(geojson)
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        shapely.errors.GEOSException,
    ) as exc:
        raise ValidationError(
            _("The boundary's coordinates cannot be read: %(error)s") % {"error": exc},
            code="geometry_malformed",
        ) from exc
    if geometry.is_empty:
        raise ValidationError(_("The boundary is empty."), code="geometry_empty")
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise ValidationError(
            _("Coordinates must be longitude (-180 to 180) then latitude (-90 to 90)."),
            code="geometry_range",
        )
    if not geometry.is_valid:
        raise ValidationError(
            _("The boundary is not a valid polygon: %(reason)s")
            % {"reason": explain_validity(geometry)},
            code="geometry_invalid",
        )
    return geometry


def area_m2(geometry: BaseGeometry | None) -> float:
    if geometry is None or geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y
    projected = scale(
        geometry,
        xfact=_M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat)),
        yfact=_M_PER_DEG_LAT,
        origin=(0, 0),
    )
    return projected.area


def outside_m2(child: BaseGeometry, parent: BaseGeometry) -> float:
    return area_m2(child.difference(parent))


def overlap_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    return area_m2(a.intersection(b))


def polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


def overlaps(
    geometries: list[BaseGeometry], among: set[int] | None = None
) -> list[tuple[int, int, float]]:
    """(i, j, square metres) for each pair i < j of ``geometries`` overlapping by more than
    the tolerance, only pairs with one of ``among`` when given. A spatial index finds the
    candidates, so only neighbours are measured, never every pair."""
    if not geometries:
        return []
    probes = sorted(among) if among is not None else list(range(len(geometries)))
    found, seen = [], set()
    tree = STRtree(geometries)
    left, right = tree.query([geometries[k] for k in probes], predicate="intersects")
    for probe, other in zip(left.tolist(), right.tolist(), strict=True):
        i, j = sorted((probes[probe], other))
        if i == j or (i, j) in seen:
            continue
        seen.add((i, j))
        shared = overlap_m2(geometries[i], geometries[j])
        if shared > TOLERANCE_M2:
            found.append((i, j, shared))
    return found


@dataclass
class Gap:
    area_m2: float
    longitude: float
    latitude: float
    geometry: dict[str, Any]


@dataclass
class Overlap:
    first: Any
    second: Any
    area_m2: float


@dataclass
class Coverage:
    """How a parent's children cover it: "全域覆盖、不留空白"."""

    gaps: list[Gap] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    outside: list[tuple[Any, float]] = field(default_factory=list)
    unmapped: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.overlaps or self.outside or self.unmapped)


def coverage(
    parent: BaseGeometry | None, children: list[tuple[Any, BaseGeometry | None]]
) -> Coverage:
    """Gaps, overlaps and spill-overs of ``children`` (key, geometry) within ``parent``."""
    result = Coverage()
    mapped = [(key, geometry) for key, geometry in children if geometry is not None]
    result.unmapped = [key for key, geometry in children if geometry is None]
    if mapped:
        geometries = [geometry for _key, geometry in mapped]
        for i, j, shared in overlaps(geometries):
            result.overlaps.append(Overlap(mapped[i][0], mapped[j][0], shared))
        if parent is not None:
            for key, geometry in mapped:
                spill = outside_m2(geometry, parent)
                if spill > TOLERANCE_M2:
                    result.outside.append((key, spill))
    if parent is not None and not result.unmapped:
        covered = unary_union([geometry for _key, geometry in mapped]) if mapped else Polygon()
        for hole in polygons(parent.difference(covered)):
            size = area_m2(hole)
            if size > TOLERANCE_M2:
                point = hole.representative_point()
                result.gaps.append(Gap(size, point.x, point.y, mapping(hole)))
    result.gaps.sort(key=lambda gap: -gap.area_m2)
    return result


def as_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A geometry as a plain GeoJSON dict (lists, not tuples), in two dimensions, as stored."""

    def plain(value):
        return [plain(part) for part in value] if isinstance(value, (list, tuple)) else value

    found = mapping(shapely.force_2d(geometry))
    return {"type": found["type"], "coordinates": plain(found["coordinates"])}


def same_geometry(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    """The same shape, vertex for vertex, within ~0.1 mm (1e-9°): re-importing an exported
    boundary, or one converted back from GCJ-02, changes nothing."""
    if a is None or b is None:
        return a is b
    return bool(shapely.equals_exact(a.normalize(), b.normalize(), tolerance=1e-9))


# --- GCJ-02 ("火星坐标"): the offset coordinates of Chinese map services ----------------------
#
# Amap (高德), Tencent and Google's China maps publish GCJ-02: WGS-84 shifted by a published-
# by-reverse-engineering function of position, a few hundred metres. The forward function is
# exact; its inverse has no closed form, so it is found by fixed-point iteration, which
# converges to well under a millimetre in a few steps since the shift varies slowly.

_KRASOVSKY_A = 6_378_245.0
_KRASOVSKY_EE = 0.00669342162296594323


def _outside_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_shift(lon, lat):
    """The GCJ-02 offset (degrees of longitude, latitude) at WGS-84 ``lon``, ``lat``."""
    x, y = lon - 105.0, lat - 35.0
    waves = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + waves
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + waves
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _wgs84_to_gcj02_array(coords: np.ndarray) -> np.ndarray:
    lon, lat = coords[:, 0], coords[:, 1]
    dlon, dlat = _gcj_shift(lon, lat)
    outside = _outside_china(lon, lat)
    return np.column_stack([np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)])


def _gcj02_to_wgs84_array(coords: np.ndarray) -> np.ndarray:
    lon, lat = coords[:, 0].astype(float), coords[:, 1].astype(float)
    outside = _outside_china(lon, lat)
    wgs_lon, wgs_lat = lon.copy(), lat.copy()
    for _step in range(30):
        dlon, dlat = _gcj_shift(wgs_lon, wgs_lat)
        next_lon, next_lat = lon - dlon, lat - dlat
        moved = max(
            float(np.max(np.abs(next_lon - wgs_lon), initial=0.0)),
            float(np.max(np.abs(next_lat - wgs_lat), initial=0.0)),
        )
        wgs_lon, wgs_lat = next_lon, next_lat
        if moved < 1e-12:
            break
    return np.column_stack([np.where(outside, lon, wgs_lon), np.where(outside, lat, wgs_lat)])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    (found,) = _wgs84_to_gcj02_array(np.array([[lon, lat]], dtype=float))
    return float(found[0]), float(found[1])


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 of a GCJ-02 point; points outside China, which GCJ-02 leaves alone, unchanged."""
    (found,) = _gcj02_to_wgs84_array(np.array([[lon, lat]], dtype=float))
    return float(found[0]), float(found[1])


def transform_geometry(
    geometry: BaseGeometry, points: Callable[[np.ndarray], np.ndarray]
) -> BaseGeometry:
    """``geometry`` with every vertex moved by ``points`` ((n, 2) array in, same out)."""
    return shapely.transform(shapely.force_2d(geometry), points)


def gcj02_to_wgs84_geometry(geometry: BaseGeometry) -> BaseGeometry:
    return transform_geometry(geometry, _gcj02_to_wgs84_array)


def wgs84_to_gcj02_geometry(geometry: BaseGeometry) -> BaseGeometry:
    return transform_geometry(geometry, _wgs84_to_gcj02_array)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two nearby longitude/latitude points (local equirectangular)."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * _M_PER_DEG_LNG_EQUATOR * math.cos(lat)
    dy = (a[1] - b[1]) * _M_PER_DEG_LAT
    return math.hypot(dx, dy)


# --- Drawing: a server-side SVG needs no map tiles and no JavaScript -------------------------


@dataclass
class Shape:
    key: Any
    d: str
    label_x: float
    label_y: float


def _projector(geometries: list[BaseGeometry], size: float):
    west, south, east, north = unary_union(geometries).bounds
    x_scale = math.cos(math.radians((south + north) / 2))
    width = max((east - west) * x_scale, 1e-12)
    height = max(north - south, 1e-12)
    factor = size / max(width, height)

    def project(x: float, y: float) -> tuple[float, float]:
        return round((x - west) * x_scale * factor, 1), round((north - y) * factor, 1)

    return project, (round(width * factor, 1), round(height * factor, 1))


def svg_shapes(items: list[tuple[Any, BaseGeometry]], size: float = 1000.0):
    """SVG path data for ``items`` in a ``size``-wide viewBox (north up, true proportions)."""
    items = [(key, geometry) for key, geometry in items if geometry is not None]
    if not items:
        return [], (0, 0)
    project, dimensions = _projector([g for _k, g in items], size)

    def point(x: float, y: float) -> str:
        px, py = project(x, y)
        return f"{px},{py}"

    shapes = []
    for key, geometry in items:
        parts = []
        for polygon in polygons(geometry):
            for ring in [polygon.exterior, *polygon.interiors]:
                coords = list(ring.coords)
                parts.append("M" + " L".join(point(x, y) for x, y in coords[:-1]) + " Z")
        label_x, label_y = project(*geometry.representative_point().coords[0])
        shapes.append(Shape(key, " ".join(parts), label_x, label_y))
    return shapes, dimensions


def svg_point(frame: BaseGeometry, longitude: float, latitude: float, size: float = 1000.0):
    """Where a point falls in the viewBox that ``svg_shapes`` draws for ``frame``."""
    project, _dimensions = _projector([frame], size)
    return project(longitude, latitude)
