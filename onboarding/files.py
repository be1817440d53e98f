"""Files from outside, read as hostile: a size cap, only .xlsx / .csv / .geojson, no XML
tricks, no formulas, no zip bombs; and the workbooks we hand back (template, report, export).

openpyxl reads through defusedxml when it is installed (it is pinned in requirements.txt), so
entity expansion and external entities in a workbook's XML are refused. A workbook is opened
read-only, which streams rows instead of building every cell in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from onboarding import xlsx
from onboarding.spec import ZH, Job, Kind, Row, Sheet, fold

logger = logging.getLogger(__name__)
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "geojson": "geojson", "json": "geojson"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and old .xls both start so
ZIP_MAGIC = b"PK\x03\x04"
TEMPLATE_ROWS = 1000  # rows given text format and drop-downs in a template


class FileRefused(Exception):
    """The file as a whole cannot be read; the message is for the user."""


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def extension_of(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in EXTENSIONS:
        raise FileRefused(_("Only .xlsx, .csv and .geojson files can be imported."))
    return EXTENSIONS[suffix]


def check_size(size: int) -> None:
    if size > max_bytes():
        raise FileRefused(
            _("The file is %(size)s MB; the largest accepted is %(cap)s MB.")
            % {"size": f"{size / 1e6:.1f}", "cap": f"{max_bytes() / 1e6:.0f}"}
        )


def sniff(handle, extension: str) -> None:
    """Refuse what is not what its name says, before any parser sees it."""
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if extension == "xlsx":
        if head.startswith(OLE_MAGIC):
            raise FileRefused(
                _(
                    "This workbook is password-protected or in the old .xls format. "
                    "Open it in Excel, remove the password, and save it as .xlsx."
                )
            )
        if not head.startswith(ZIP_MAGIC):
            raise FileRefused(_("This is not an Excel .xlsx workbook, or it is damaged."))
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise FileRefused(_("The workbook is damaged and cannot be opened.")) from exc
        finally:
            handle.seek(0)
        if "xl/workbook.xml" not in names:
            raise FileRefused(_("This is not an Excel .xlsx workbook, or it is damaged."))
        if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
            raise FileRefused(_("The workbook unpacks to more than the largest accepted size."))
    elif b"\x00" in handle.read(65536):
        handle.seek(0)
        raise FileRefused(_("This is not a text file."))
    handle.seek(0)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM) or GB18030, which Excel on Chinese Windows writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_("The file's text is neither UTF-8 nor GB18030; save it as CSV UTF-8."))


def read_json(handle) -> Any:
    try:
        return json.loads(decode_text(handle.read()))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FileRefused(_("The file is not valid JSON: %(error)s") % {"error": exc}) from exc


# --- Reading tables ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell as the text a user typed; None for a number Excel has already rounded."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\u00a0", " ").replace("\u200b", "").strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return None if abs(value) >= 10**15 else str(value)
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _worksheet_for(workbook, sheet: Sheet, kind: Kind):
    wanted = {fold(sheet.key), fold(sheet.en), fold(sheet.zh)}
    for worksheet in workbook.worksheets:
        if fold(worksheet.title) in wanted:
            return worksheet
    if len(kind.sheets) == 1:  # a one-sheet kind takes the first sheet whatever its name
        instructions = {fold(_INSTRUCTIONS_EN), fold(_INSTRUCTIONS_ZH), fold(_PROBLEMS_EN)}
        for worksheet in workbook.worksheets:
            if fold(worksheet.title) not in instructions:
                return worksheet
    return None


class _Header:
    """Where each of a sheet's columns sits in the file, read from its header row."""

    def __init__(self, job: Job, sheet: Sheet, cells: Iterable[Any]):
        known = sheet.header_map()
        self.positions: dict[str, int] = {}
        for position, value in enumerate(cells):
            key = known.get(fold(_text(value) or ""))
            if key is None:
                continue  # other columns (a report's "Errors", the user's notes) are ignored
            if key in self.positions:
                job.report.cell(sheet, 1, key, _("This column appears twice."))
            self.positions[key] = position
        for column in sheet.columns:
            if column.required and column.key not in self.positions:
                job.report.cell(sheet, 1, column.key, _("This column is missing."), value="")
        self.index = {column.key: i for i, column in enumerate(sheet.columns)}
        self.order = [self.positions.get(column.key) for column in sheet.columns]


def _rows(job: Job, sheet: Sheet, header: _Header, lines: Iterator, formulas: bool) -> list[Row]:
    rows: list[Row] = []
    limit = max_rows()
    for number, line in enumerate(lines, 2):
        cells = []
        for key, position in zip(header.index, header.order, strict=True):
            cell = line[position] if position is not None and position < len(line) else None
            value = cell
            if formulas:
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    job.report.cell(
                        sheet,
                        number,
                        key,
                        _("Formulas are not imported; paste the value instead."),
                        value=str(value),
                    )
                    value = ""
            text = _text(value)
            if text is None:
                job.report.cell(
                    sheet,
                    number,
                    key,
                    _(
                        "Excel has rounded this long number; format the column as text "
                        "and type it again."
                    ),
                    value=str(value),
                )
                text = ""
            cells.append(text)
        if not any(cells):
            continue
        if len(rows) >= limit:
            job.report.cell(
                sheet,
                number,
                None,
                _("A sheet may hold at most %(rows)s rows; split the file.") % {"rows": limit},
            )
            break
        rows.append(Row(number, tuple(cells), header.index))
    return rows


def read_tables(job: Job, handle, extension: str) -> None:
    kind = job.kind
    if extension == "csv":
        text = decode_text(handle.read())
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first and "," not in first else ","
        lines = iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        sheet = kind.sheets[0]
        header = _Header(job, sheet, next(lines, []))
        job.rows[sheet.key] = _rows(job, sheet, header, lines, formulas=False)
        for other in kind.sheets[1:]:
            job.rows[other.key] = []
        return
    try:
        # openpyxl reads the structure; the cells are read by a lean loop (onboarding/xlsx.py).
        workbook = xlsx.load(handle)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(_("The workbook is damaged and cannot be opened.")) from exc
    try:
        for sheet in kind.sheets:
            worksheet = _worksheet_for(workbook, sheet, kind)
            if worksheet is None:
                job.rows[sheet.key] = []
                if sheet is kind.sheets[0]:
                    job.report.file(
                        _("The workbook has no sheet named %(name)s.")
                        % {"name": sheet.title(job.language)}
                    )
                continue
            lines = worksheet.iter_rows()
            header = _Header(job, sheet, [cell.value for cell in next(lines, ())])
            job.rows[sheet.key] = _rows(job, sheet, header, lines, formulas=True)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(_("The workbook is damaged and cannot be opened.")) from exc
    finally:
        workbook.close()


# --- Workbooks we write ---------------------------------------------------------------------

_INSTRUCTIONS_EN, _INSTRUCTIONS_ZH = "Instructions", "填写说明"
_PROBLEMS_EN = "Problems"
_BOLD = Font(bold=True)
_REQUIRED = PatternFill("solid", fgColor="FFF2CC")
_HEADER = PatternFill("solid", fgColor="DDEBF7")
_BAD = PatternFill("solid", fgColor="F8CBAD")


def _language(language: str) -> str:
    return ZH if language.lower().startswith("zh") else "en"


def _cell(worksheet, value: Any, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _general_notes() -> list[str]:
    return [
        _("Fill one row per record below the header. Do not rename or reorder the headers."),
        _("Columns marked * are required. Headers in English or Chinese are both accepted."),
        _("Choose values from the drop-down lists. Dates are written as 2024-03-01."),
        _(
            "ID numbers, mobiles and codes must be text: the template's columns are already "
            "formatted so; do not type them as numbers."
        ),
        _(
            "Nothing is written until every row passes: upload the file, read the report, "
            "correct it, and upload it again. Importing the same file twice changes nothing."
        ),
    ]


def _instructions(workbook, kind: Kind, language: str, write_only: bool) -> None:
    title = _INSTRUCTIONS_ZH if language == ZH else _INSTRUCTIONS_EN
    worksheet = workbook.create_sheet(title)
    lines: list[list[Any]] = [[str(kind.label)], []]
    if kind.load is None:  # a kind with its own format (GeoJSON) explains it in its notes
        lines += [[str(note)] for note in _general_notes()]
    lines += [[str(note)] for note in kind.notes]
    lines.append([])
    lines.append(
        [
            _("Sheet"),
            _("Column"),
            _("Required"),
            _("What it means"),
            _("Allowed values"),
            _("Example"),
        ]
    )
    for sheet in kind.sheets:
        for column in sheet.columns:
            lines.append(
                [
                    sheet.title(language),
                    column.header(language).rstrip(" *"),
                    _("yes") if column.required else "",
                    str(column.help),
                    "、".join(column.labels(language)),
                    column.example,
                ]
            )
    for line in lines:
        if write_only:
            worksheet.append([_cell(worksheet, value) for value in line])
        else:
            worksheet.append(line)
    if not write_only:
        for letter, width in zip("ABCDEF", (14, 20, 10, 60, 40, 24), strict=True):
            worksheet.column_dimensions[letter].width = width
        worksheet["A1"].font = Font(bold=True, size=14)


def template(kind: Kind, language: str) -> Workbook:
    """An empty workbook for ``kind``: headers, formats, drop-downs and instructions."""
    language = _language(language)
    with translation.override(language):
        workbook = Workbook()
        workbook.remove(workbook.active)
        lists = None
        # A kind read from its own format (GeoJSON) gets the instructions only: a sheet to
        # fill in would invite a file the import refuses.
        for sheet in kind.sheets if kind.load is None else ():
            worksheet = workbook.create_sheet(sheet.title(language))
            worksheet.freeze_panes = "A2"
            for number, column in enumerate(sheet.columns, 1):
                letter = get_column_letter(number)
                cell = worksheet.cell(1, number, column.header(language))
                cell.font = _BOLD
                cell.fill = _REQUIRED if column.required else _HEADER
                if column.help:
                    cell.comment = Comment(str(column.help), "Grid Governance")
                worksheet.column_dimensions[letter].width = column.width
                last = TEMPLATE_ROWS + 1
                if column.text:
                    for row in range(2, last + 1):
                        worksheet.cell(row, number).number_format = "@"
                labels = column.labels(language)
                if labels:
                    if lists is None:
                        lists = workbook.create_sheet(_("Lists"))
                        lists.sheet_state = "hidden"
                    at = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
                    lists.cell(1, at, column.header(language))
                    for offset, label in enumerate(labels, 2):
                        lists.cell(offset, at, label)
                    source = get_column_letter(at)
                    validation = DataValidation(
                        type="list",
                        formula1=f"'{lists.title}'!${source}$2:${source}${len(labels) + 1}",
                        allow_blank=not column.required,
                        showErrorMessage=True,
                        errorTitle=str(_("Not in the list")),
                        error=str(_("Choose a value from the drop-down list.")),
                    )
                    worksheet.add_data_validation(validation)
                    validation.add(f"{letter}2:{letter}{last}")
        _instructions(workbook, kind, language, write_only=False)
    return workbook


def report(job: Job, handle, extension: str) -> Workbook:
    """The problems, and the uploaded rows again with an error column and the bad cells marked."""
    language = _language(job.language)
    with translation.override(language):
        workbook = Workbook(write_only=True)
        problems = workbook.create_sheet(_("Problems"))
        problems.append(
            [
                _cell(problems, str(title), font=_BOLD)
                for title in (_("Sheet"), _("Row"), _("Column"), _("Value"), _("Problem"))
            ]
        )
        for problem in job.report.problems:
            problems.append(
                [
                    _cell(problems, value)
                    for value in (
                        problem.sheet,
                        problem.row,
                        problem.column,
                        problem.value,
                        problem.message,
                    )
                ]
            )
        if extension in ("xlsx", "csv"):
            try:
                _marked_copies(workbook, job, handle, extension, language)
            except Exception:  # the problems sheet above is the report's core
                logger.exception("could not copy the uploaded rows into the report")
    return workbook


def _marked_copies(workbook, job: Job, handle, extension: str, language: str) -> None:
    kind = job.kind
    handle.seek(0)
    sources: list[tuple[Sheet, Iterator[list[Any]]]] = []
    source_book = None
    if extension == "csv":
        text = decode_text(handle.read())
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first and "," not in first else ","
        sources.append(
            (kind.sheets[0], iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
        )
    else:
        source_book = xlsx.load(handle)
        for sheet in kind.sheets:
            worksheet = _worksheet_for(source_book, sheet, kind)
            if worksheet is not None:
                rows = ([cell.value for cell in line] for line in worksheet.iter_rows())
                sources.append((sheet, rows))
    try:
        errors_title = _("Errors")
        for sheet, lines in sources:
            out = workbook.create_sheet(sheet.title(language))
            header = list(next(lines, ()) or ())
            known = sheet.header_map()
            keys = [known.get(fold(_text(value) or "")) for value in header]
            out.append(
                [_cell(out, str(errors_title), font=_BOLD)]
                + [_cell(out, value, font=_BOLD) for value in header]
            )
            header_marks = job.report.cells.get((sheet.key, 1))
            if header_marks:
                out.append([_cell(out, "; ".join(header_marks.values()), fill=_BAD)])
            for number, line in enumerate(lines, 2):
                marks = job.report.cells.get((sheet.key, number), {})
                labels = {
                    key: (sheet.column(key).header(language).rstrip(" *") if key else "")
                    for key in marks
                }
                summary = "; ".join(
                    f"{labels[key]}: {message}" if labels[key] else message
                    for key, message in marks.items()
                )
                cells = [_cell(out, summary, fill=_BAD) if summary else _cell(out, None)]
                for position, value in enumerate(line):
                    key = keys[position] if position < len(keys) else None
                    if key and key in marks:
                        cells.append(_cell(out, value, fill=_BAD))
                    else:
                        cells.append(_cell(out, value))
                out.append(cells)
    finally:
        if source_book is not None:
            source_book.close()


def export(kind: Kind, job: Job, sheets: dict[str, Iterable[list[Any]]]) -> Workbook:
    """Rows in the template's layout, so the file can be corrected and imported again."""
    language = _language(job.language)
    with translation.override(language):
        workbook = Workbook(write_only=True)
        for sheet in kind.sheets:
            worksheet = workbook.create_sheet(sheet.title(language))
            worksheet.freeze_panes = "A2"
            for number, column in enumerate(sheet.columns, 1):
                worksheet.column_dimensions[get_column_letter(number)].width = column.width
            worksheet.append(
                [
                    _cell(
                        worksheet,
                        column.header(language),
                        font=_BOLD,
                        fill=_REQUIRED if column.required else _HEADER,
                    )
                    for column in sheet.columns
                ]
            )
            for line in sheets.get(sheet.key, ()):
                worksheet.append(
                    [
                        _cell(worksheet, value, number_format="@")
                        if column.text
                        else _cell(worksheet, value)
                        for column, value in zip(sheet.columns, line, strict=True)
                    ]
                )
        _instructions(workbook, kind, language, write_only=True)
    return workbook
