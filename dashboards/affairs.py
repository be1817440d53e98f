"""The grid's work besides requests on one page: mediation, safety patrols, deliberation and
红色物业, for an area and each area under it, each figure with its definition.

Every app counts its own work (``<app>/figures.py``, in the shape of ``core.figures``) in a
fixed number of grouped queries; this page asks each for the area and its children at once,
so the page costs the same whatever the size of the area. These counts are live: a year of a
district's cases, patrols and topics is thousands of rows, not the millions of requests the
rollups exist for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.figures import Definition, Unit
from deliberation import figures as deliberation
from estates import figures as estates
from grids.models import Area
from mediation import figures as mediation
from safety import figures as safety

SOURCES = (
    ("mediation", _("Mediation of disputes (矛盾纠纷调解)"), mediation),
    ("safety", _("Safety patrols (安全隐患排查)"), safety),
    ("deliberation", _("Deliberation (议事协商) and 实事 projects"), deliberation),
    ("estates", _("Property companies (红色物业)"), estates),
)


@dataclass(frozen=True)
class Cell:
    definition: Definition
    value: float | int | None

    @property
    def shown(self) -> str:
        if self.value is None:
            return "—"
        if self.definition.unit == Unit.SHARE:
            return f"{self.value * 100:.1f}%"
        if self.definition.unit == Unit.AVERAGE:
            return f"{self.value:.2f}"
        return f"{int(self.value):,}"


@dataclass(frozen=True)
class Row:
    area: Area
    cells: list[Cell]
    total: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    definitions: tuple[Definition, ...]
    rows: list[Row]


def areas_of(area: Area) -> list[Area]:
    """The area and its children, in path order: one query."""
    found = Area.objects.filter(
        Q(pk=area.pk) | Q(path__startswith=area.path, depth=area.depth + 1)
    ).defer("boundary")
    return sorted(found, key=lambda a: a.path)


def tables(area: Area, first: dt.date, last: dt.date) -> list[Table]:
    areas = areas_of(area)
    result = []
    for key, title, source in SOURCES:
        values = source.figures(areas, first, last)
        rows = [
            Row(
                area=each,
                cells=[Cell(d, values.get(each.pk, {}).get(d.key)) for d in source.DEFINITIONS],
                total=each.pk == area.pk,
            )
            for each in areas
        ]
        result.append(Table(key, title, tuple(source.DEFINITIONS), rows))
    return result
