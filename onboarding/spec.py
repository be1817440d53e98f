"""What an import kind is made of: its sheets and columns, the rows read from a file, and the
problems found in them.

A kind (``onboarding/kinds/``) declares its columns once; the template, the header matching
(English or Chinese), the drop-downs, the report and the export all come from that one
declaration, so a template can never disagree with what the import accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils import translation
from django.utils.translation import gettext as _

ZH = "zh-hans"


@dataclass(frozen=True)
class Column:
    """One column: its key, its header in each language, and how a cell is read."""

    key: str
    en: str
    zh: str
    required: bool = False
    # (value, label) pairs; a cell may hold the value, the English or the Chinese label.
    choices: Callable[[], Iterable[tuple[str, Any]]] | None = None
    help: Any = ""  # a lazy translation: what the column means, for the instructions sheet
    example: str = ""
    text: bool = False  # stored as text in the template (ID numbers, mobiles, codes)
    width: int = 16

    def header(self, language: str) -> str:
        title = self.zh if language.lower().startswith("zh") else self.en
        return f"{title} *" if self.required else title

    def labels(self, language: str) -> list[str]:
        with translation.override(language):
            return [str(label) for _value, label in self.choices()] if self.choices else []

    def lookup(self) -> dict[str, str]:
        """Every accepted spelling of a choice, folded, to its stored value."""
        accepted: dict[str, str] = {}
        for value, label in self.choices():
            accepted[_fold(value)] = value
            for language in ("en", ZH):
                with translation.override(language):
                    accepted[_fold(str(label))] = value
        return accepted


@dataclass(frozen=True)
class Sheet:
    key: str
    en: str
    zh: str
    columns: tuple[Column, ...]

    def title(self, language: str) -> str:
        return self.zh if language.lower().startswith("zh") else self.en

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def header_map(self) -> dict[str, str]:
        """Folded header (English, Chinese or the key itself) to column key."""
        known: dict[str, str] = {}
        for column in self.columns:
            for name in (column.key, column.en, column.zh):
                known[_fold(name)] = column.key
        return known


def _fold(text: str) -> str:
    return re.sub(r"[\s*＊_]+", "", str(text)).casefold()


fold = _fold


class Row:
    """One data row of a sheet: its row number in the file and its cells as trimmed text."""

    __slots__ = ("cells", "index", "number")

    def __init__(self, number: int, cells: tuple[str, ...], index: dict[str, int]):
        self.number = number
        self.cells = cells
        self.index = index

    def get(self, key: str) -> str:
        position = self.index.get(key)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position]

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.cells!r})"


@dataclass(frozen=True)
class Problem:
    sheet: str  # the sheet's title as the user sees it
    row: int | None  # the row number in the file; None for a problem with the whole file
    column: str  # the column's header as the user sees it, or ""
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


class Report:
    """Problems found while checking a file, addressed by sheet, row and column."""

    def __init__(self, language: str):
        self.language = language
        self.problems: list[Problem] = []
        # (sheet key, row number) -> {column key: message}, for the marked-up report workbook
        self.cells: dict[tuple[str, int], dict[str, str]] = {}

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def file(self, message: str) -> None:
        self.problems.append(Problem("", None, "", "", message))

    def cell(self, sheet: Sheet, row: Row | int, key: str | None, message: str, value=None):
        number = row if isinstance(row, int) else row.number
        column = sheet.column(key) if key else None
        if value is None:
            value = row.get(key) if key and isinstance(row, Row) else ""
        self.problems.append(
            Problem(
                sheet.title(self.language),
                number,
                column.header(self.language).rstrip(" *") if column else "",
                str(value),
                str(message),
            )
        )
        marks = self.cells.setdefault((sheet.key, number), {})
        marks[key or ""] = "; ".join(filter(None, [marks.get(key or ""), str(message)]))

    def rows_with_problems(self) -> set[tuple[str, int]]:
        return set(self.cells)


@dataclass
class Tally:
    """What writing a sheet did, or would do."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class Job:
    """One import or export as a kind sees it: who, where, what was read, what was found."""

    kind: Kind
    area: Any  # grids.Area: the root of the scope; every row must fall under it
    by: Any  # the user, or None for an operator at the command line
    language: str = "en"
    options: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    report: Report | None = None
    plan: Any = None
    tallies: dict[str, Tally] = field(default_factory=dict)
    progress: Callable[[int, int], None] = lambda done, total: None

    def __post_init__(self):
        if self.report is None:
            self.report = Report(self.language)
        for sheet in self.kind.sheets:
            self.tallies.setdefault(sheet.key, Tally())


@dataclass(frozen=True)
class Option:
    """A choice the importer makes for the whole file (the page shows it as a form field,
    the command takes ``--option key=value``), kept in ``job.options[key]``."""

    key: str
    label: Any  # a lazy translation
    # (value, label) pairs for a drop-down; None for free text.
    choices: Callable[[], Iterable[tuple[str, Any]]] | None = None
    default: str = ""
    required: bool = False
    help: Any = ""


class Kind:
    """An importable kind of data. Subclasses declare ``sheets`` and implement the three steps.

    ``check`` reads ``job.rows``, reports every problem in ``job.report`` and, when it may,
    leaves in ``job.plan`` what to write and in ``job.tallies`` what that would create, update
    or leave unchanged; it writes nothing. ``write`` writes ``job.plan`` through the owning
    app's services; the engine calls it inside one transaction and only when ``check`` found
    nothing. ``export`` yields each sheet's rows in the same layout, so export → import is a
    no-op.
    """

    name: ClassVar[str]
    label: ClassVar[Any]
    sheets: ClassVar[tuple[Sheet, ...]] = ()
    formats: ClassVar[tuple[str, ...]] = ("xlsx", "csv")
    # Only at the top of the tree (the district), e.g. the catalogue of matters.
    district_only: ClassVar[bool] = False
    # The owning app's capability for this data, held at the importing area besides
    # IMPORT_DATA (laying out areas needs EDIT_AREAS, say): who may not write it by hand may
    # not load it from a file, and the hub does not offer it.
    capability: ClassVar[str | None] = None
    # Lines for the template's instructions sheet, above the table of columns.
    notes: ClassVar[tuple[Any, ...]] = ()
    # A kind that exports personal data (full values only for those allowed to reveal them).
    personal: ClassVar[bool] = False
    # Choices made for the whole file (a GeoJSON's code property, its coordinate system).
    options: ClassVar[tuple[Option, ...]] = ()

    def check(self, job: Job) -> None:
        raise NotImplementedError

    def write(self, job: Job) -> None:
        raise NotImplementedError

    def export(self, job: Job) -> dict[str, Iterable[list[Any]]]:
        raise NotImplementedError

    # A kind that is not a table (GeoJSON boundaries) sets ``load(job, handle, extension)``
    # to fill ``job.rows`` itself; the others are read by onboarding.files.read_tables.
    load: ClassVar[Callable | None] = None


# --- Reading cells ---------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is for the user."""


def choice(column: Column, value: str, _cache: dict = {}) -> str:  # noqa: B006
    if not value:
        return ""
    key = (column.key, id(column), translation.get_language())
    if key not in _cache:
        _cache[key] = column.lookup()
    found = _cache[key].get(_fold(value))
    if found is None:
        raise CellError(
            _("Not one of the allowed values: %(values)s.")
            % {"values": "、".join(column.labels(translation.get_language() or "en"))}
        )
    return found


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def date(value: str) -> dt.date | None:
    if not value:
        return None
    match = _DATE.match(value.split(" ")[0] if "年" not in value else value)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(_("Not a date; write it as 2024-03-01."))


def number(value: str, *, low: float | None = None, high: float | None = None) -> float | None:
    if not value:
        return None
    try:
        parsed = float(value)
    except ValueError:
        raise CellError(_("Not a number.")) from None
    if (low is not None and parsed < low) or (high is not None and parsed > high):
        raise CellError(_("Must lie between %(low)s and %(high)s.") % {"low": low, "high": high})
    return parsed


def boolean(value: str) -> bool | None:
    if not value:
        return None
    folded = _fold(value)
    if folded in {"yes", "y", "true", "1", "是", "有", "开放"}:
        return True
    if folded in {"no", "n", "false", "0", "否", "无", "关闭"}:
        return False
    raise CellError(_("Write yes or no (是 / 否)."))


def items(value: str) -> list[str]:
    """A list in one cell, separated by commas, Chinese commas, 、 or semicolons."""
    return [part.strip() for part in re.split(r"[,，、;；\n]+", value) if part.strip()]


def each(rows: Iterable[Row], job: Job, every: int = 2000) -> Iterator[Row]:
    """``rows``, reporting progress to the job as they pass."""
    rows = list(rows) if not isinstance(rows, list) else rows
    total = len(rows)
    for position, row in enumerate(rows, 1):
        if position % every == 0:
            job.progress(position, total)
        yield row
    job.progress(total, total)
