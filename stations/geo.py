"""Distances between households and stations, in bulk, and the station map drawing.

Coordinates are longitude/latitude degrees, projected to metres with a local
equirectangular projection (as ``grids.geo`` measures areas): well under 1% error across a
district, and exact along a meridian.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.strtree import STRtree

from grids import geo

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0
# Above this many cells the loop costs more than the distance sums it saves.
_MAX_CELLS = 4096


def project(longitude, latitude, origin_latitude: float):
    """Degrees to metres (x east, y north) around ``origin_latitude``; arrays or scalars."""
    x_scale = M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(origin_latitude))
    return (
        np.asarray(longitude, dtype=float) * x_scale,
        np.asarray(latitude, dtype=float) * M_PER_DEG_LAT,
    )


def nearest_within(px, py, sx, sy, radius: float) -> np.ndarray:
    """Distance from each point (px, py) to its nearest station (sx, sy) if that is at most
    ``radius``; ``inf`` where no station is that close. All in metres.

    Points and stations are dropped into square cells at least ``radius`` wide, so every
    station within ``radius`` of a point lies in the point's cell or one of its eight
    neighbours. One vectorised distance block per occupied cell: a district's 600,000
    households take a fraction of a second, where a nearest-neighbour query per household
    would take seconds.
    """
    n = len(px)
    best = np.full(n, np.inf)
    if n == 0 or len(sx) == 0:
        return best
    x0, y0 = min(px.min(), sx.min()), min(py.min(), sy.min())
    width = max(px.max(), sx.max()) - x0
    height = max(py.max(), sy.max()) - y0
    cell = max(float(radius), max(width, height) / math.sqrt(_MAX_CELLS), 1e-6)
    rows_per_column = int(height // cell) + 3  # +1 margin each side, so keys never collide

    def keys(x, y):
        return ((x - x0) // cell).astype(np.int64) * rows_per_column + ((y - y0) // cell).astype(
            np.int64
        )

    station_keys = keys(sx, sy)
    station_order = np.argsort(station_keys, kind="stable")
    station_keys = station_keys[station_order]
    point_keys = keys(px, py)
    point_order = np.argsort(point_keys, kind="stable")
    cells, starts = np.unique(point_keys[point_order], return_index=True)
    ends = np.append(starts[1:], n)
    around = np.array([dx * rows_per_column + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
    limit = float(radius) ** 2
    for key, start, end in zip(cells.tolist(), starts.tolist(), ends.tolist(), strict=True):
        lo = np.searchsorted(station_keys, key + around, "left")
        hi = np.searchsorted(station_keys, key + around, "right")
        spans = [station_order[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        if not spans:
            continue
        near = np.concatenate(spans)
        rows = point_order[start:end]
        d2 = (px[rows, None] - sx[None, near]) ** 2 + (py[rows, None] - sy[None, near]) ** 2
        d2 = d2.min(axis=1)
        best[rows] = np.where(d2 <= limit, np.sqrt(d2), np.inf)
    return best


def nearest(px, py, sx, sy) -> np.ndarray:
    """Exact distance from each point to its nearest station (STRtree), inf with no station."""
    n = len(px)
    if n == 0:
        return np.empty(0)
    if len(sx) == 0:
        return np.full(n, np.inf)
    tree = STRtree(shapely.points(sx, sy))
    (points, _found), distances = tree.query_nearest(
        shapely.points(px, py), all_matches=False, return_distance=True
    )
    result = np.full(n, np.inf)
    result[points] = distances
    return result


def station_map(area, longitude: float, latitude: float, context=()) -> dict | None:
    """The served area, the grids around it and the station's position, for an inline SVG.

    ``context`` are further areas drawn faintly for orientation (the grids of the
    community). None when the served area has no boundary. Coordinates are in a viewBox
    about 1,000 units wide, north up, with a margin so the marker is never cut off.
    """
    if area.geometry is None:
        return None
    around = [(other, other.geometry) for other in context if other.pk != area.pk]
    shapes, (width, height) = geo.svg_shapes(
        [*around, (area, area.geometry), ("station", Point(longitude, latitude))]
    )
    *others, outline, marker = shapes
    margin = 40
    return {
        "context": [shape.d for shape in others if shape.d],
        "d": outline.d,
        # svg_shapes puts a point's label where the point is: that is the marker position.
        "x": marker.label_x,
        "y": marker.label_y,
        "viewbox": f"{-margin} {-margin} {width + 2 * margin:.1f} {height + 2 * margin:.1f}",
    }
