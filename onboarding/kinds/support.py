"""What the people-and-organisation kinds (staff, members, branches, stations, units,
matters) share: reading a row's cells into values, finding areas by code in one query,
refusing rows outside the importing area, and putting a model's ValidationError on the
cells it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.personal import normalize_mobile, validate_mobile
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import can
from onboarding.spec import CellError, Job, Row, Sheet, choice

BAD = object()  # a cell that could not be read; its problem is already reported
MASK = "*"  # in a mobile number: masked by an export


def mobile_cell(text: str) -> str:
    """A mobile number, normalised; a masked one is left for the kind to match."""
    if not text or MASK in text:
        return text
    value = normalize_mobile(text)
    try:
        validate_mobile(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return value


def read_row(
    job: Job, sheet: Sheet, row: Row, parsers: dict[str, Callable[[str], Any] | None]
) -> dict[str, Any]:
    """The row's values by column key: required cells present, choices and parsed cells
    read; a cell that fails is reported and holds ``BAD``."""
    values: dict[str, Any] = {"row": row}
    for key, parse in parsers.items():
        column = sheet.column(key)
        text = row.get(key)
        if column.required and not text:
            job.report.cell(sheet, row, key, _("This cell is required."))
            values[key] = BAD
            continue
        try:
            if column.choices is not None:
                values[key] = choice(column, text)
            elif parse is not None:
                values[key] = parse(text)
            else:
                values[key] = text
        except CellError as exc:
            job.report.cell(sheet, row, key, str(exc))
            values[key] = BAD
    return values


def usable(values: dict[str, Any]) -> bool:
    return all(value is not BAD for value in values.values())


def areas_by_code(codes: Iterable[str], boundaries: bool = False) -> dict[str, Area]:
    wanted = {code for code in codes if code and code is not BAD}
    found = Area.objects.filter(code__in=wanted)
    return {area.code: area for area in (found if boundaries else found.defer("boundary"))}


def under(area: Area, root: Area) -> bool:
    return area.path.startswith(root.path)


def area_cell(
    job: Job,
    sheet: Sheet,
    row: Row,
    key: str,
    code: str,
    known: dict[str, Area],
    levels: Iterable[str] | None = None,
) -> Area | object | None:
    """The area a code names, under the importing area and (if given) at one of ``levels``;
    ``BAD`` (reported) otherwise; None for an empty cell."""
    if not code or code is BAD:
        return BAD if code is BAD else None
    area = known.get(code)
    if area is None:
        job.report.cell(sheet, row, key, _("No area has this code."))
        return BAD
    if not under(area, job.area):
        job.report.cell(
            sheet, row, key, _("This area lies outside %(area)s.") % {"area": job.area.name}
        )
        return BAD
    if levels is not None and area.level not in set(levels):
        job.report.cell(
            sheet,
            row,
            key,
            _("%(area)s is a %(level)s; a %(wanted)s is expected here.")
            % {
                "area": area.name,
                "level": area.get_level_display(),
                "wanted": " / ".join(str(Level(level).label) for level in sorted(levels)),
            },
        )
        return BAD
    return area


def report_invalid(
    job: Job,
    sheet: Sheet,
    row: Row,
    error: ValidationError,
    columns: dict[str, str] | None = None,
) -> None:
    """Each message of a model's or a service's ValidationError on the cell it is about
    (``columns`` maps a model field to a column key); the rest on the row."""
    columns = columns or {}
    keys = {column.key for column in sheet.columns}
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            key = columns.get(field, field)
            for message in messages:
                job.report.cell(sheet, row, key if key in keys else None, message)
    else:
        for message in error.messages:
            job.report.cell(sheet, row, None, message)


def duplicate(job: Job, sheet: Sheet, row: Row, key: str, seen: dict, value: Any) -> bool:
    """Whether ``value`` was already on an earlier row of the file (then reported)."""
    if value in seen:
        job.report.cell(
            sheet,
            row,
            key,
            _("The same entry is on row %(row)s.") % {"row": seen[value].number},
        )
        return True
    seen[value] = row
    return False


def full_personal(job: Job) -> bool:
    """Whether an export may carry full mobile numbers: the operator at the command line, or
    a user who may reveal them at the exported area. Recorded on the export when it does."""
    full = job.by is None or can(job.by, TerritoryCapability.REVEAL_PERSONAL, job.area)
    if full:
        job.options["full_personal"] = True
    return full


def yes_no(job: Job, value: bool) -> str:
    chinese = job.language.lower().startswith("zh")
    if value:
        return "是" if chinese else "yes"
    return "否" if chinese else "no"


def label(choices, value: str) -> str:
    """A choice's label in the export's language (the import reads labels and values)."""
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
