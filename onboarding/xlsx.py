"""Reading the cells of an .xlsx workbook quickly, with openpyxl's own meaning of each cell.

openpyxl reads the workbook's structure here (its manifest, sheets, shared strings, styles and
date formats), so those stay as the library reads them; only the sheets' cells are read by
this module, with a plain expat loop. That matters for a street's 100,000 rows: openpyxl's
read-only sheets build objects for every cell and, when a sheet has no ``<dimension>`` (which
openpyxl's own write-only workbooks, and so our exports, lack), parse the whole sheet twice
just to size it. This loop reads the same rows 5–10 times faster.

A cell comes back as ``Cell(value, data_type)`` with the value and data type openpyxl's
read-only worksheet gives (``data_only=False``): a formula is ``("=…", "f")``, a number in a
date format a ``datetime``, and so on (tests/onboarding/test_xlsx.py compares the two).
Rows come in order from row 1, with empty tuples for missing rows, as openpyxl yields them;
a row ends at its last cell (openpyxl pads rows to the sheet's ``<dimension>`` when it has
one: the import reads a missing cell as an empty one either way).

The XML is hostile: a document type declaration (the door to entity expansion and external
entities) is refused outright; an .xlsx never has one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader, apply_stylesheet
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHEET_MAIN_NS

CHUNK = 1 << 16
EXCEL_ROWS = 1_048_576


class Cell(NamedTuple):
    value: object
    data_type: str


EMPTY = Cell(None, "n")


class Refused(Exception):
    """The sheet's XML is not what an .xlsx holds."""


_NS = SHEET_MAIN_NS + "}"
(_ROW, _C, _V, _F, _IS, _T, _RPH) = range(7)
_TAGS = {
    _NS + "row": _ROW,
    _NS + "c": _C,
    _NS + "v": _V,
    _NS + "f": _F,
    _NS + "is": _IS,
    _NS + "t": _T,
    _NS + "rPh": _RPH,
}


def _column(reference: str) -> int:
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        else:
            break
    return number


def _number(text: str) -> int | float:
    # openpyxl's _cast_number
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


class Sheet:
    def __init__(self, book: Book, title: str, path: str):
        self.book, self.title, self.path = book, title, path

    def iter_rows(self) -> Iterator[tuple]:
        book = self.book
        strings, dates, deltas, epoch = book.strings, book.dates, book.deltas, book.epoch
        done: list[tuple[int, list]] = []
        state = {
            "row": 0,
            "column": 0,
            "cells": [],
            "collect": None,
            "text": [],
            "formula": None,
            "inline": False,
            "phonetic": False,
            "t": "n",
            "s": 0,
            "at": 0,
        }

        def start(name, attrs):
            tag = _TAGS.get(name)
            if tag is None:
                return
            if tag == _C:
                reference = attrs.get("r")
                if reference:
                    state["at"] = _column(reference)
                else:
                    state["at"] = state["column"] + 1
                state["column"] = state["at"]
                state["t"] = attrs.get("t", "n")
                style = attrs.get("s", 0)
                state["s"] = int(style) if style else 0
                state["text"] = []
                state["value"] = None
                state["formula"] = None
                state["inline"] = False
            elif tag == _V:
                state["collect"] = _V
                state["text"] = []
            elif tag == _F:
                state["formula"] = []
                state["collect"] = _F
            elif tag == _T:
                if state["inline"] and not state["phonetic"]:
                    state["collect"] = _T
            elif tag == _IS:
                state["inline"] = True
                state["text"] = []
            elif tag == _RPH:
                state["phonetic"] = True
            elif tag == _ROW:
                number = attrs.get("r")
                state["row"] = int(number) if number else state["row"] + 1
                state["column"] = 0
                state["cells"] = []

        def end(name):
            tag = _TAGS.get(name)
            if tag is None:
                return
            if tag == _V:
                state["value"] = "".join(state["text"])
                state["collect"] = None
            elif tag in (_F, _T):
                state["collect"] = None
            elif tag == _RPH:
                state["phonetic"] = False
            elif tag == _C:
                state["cells"].append((state["at"], _cell(state, strings, dates, deltas, epoch)))
            elif tag == _ROW:
                done.append((state["row"], state["cells"]))

        def text(data):
            collect = state["collect"]
            if collect == _F:
                state["formula"].append(data)
            elif collect is not None:
                state["text"].append(data)

        def refuse(*args):
            raise Refused("a document type declaration")

        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.ExternalEntityRefHandler = refuse
        counter = 1
        with book.archive.open(self.path) as source:
            while True:
                chunk = source.read(CHUNK)
                try:
                    parser.Parse(chunk, not chunk)
                except expat.ExpatError as exc:
                    raise Refused(str(exc)) from exc
                for number, cells in done:
                    if number > EXCEL_ROWS:  # a row Excel cannot hold: a billion empties to yield
                        raise Refused(f"row {number}")
                    # openpyxl yields an empty row for each missing one and skips a row
                    # numbered below one already given.
                    while counter < number:
                        counter += 1
                        yield ()
                    if counter <= number:
                        counter += 1
                        yield _row(cells)
                done.clear()
                if not chunk:
                    break


def _cell(state, strings, dates, deltas, epoch) -> Cell:
    kind = state["t"]
    if state["formula"] is not None:
        return Cell("=" + "".join(state["formula"]), "f")
    if kind == "inlineStr":
        if not state["inline"]:
            return Cell(None, kind)
        return Cell("".join(state["text"]), "s")
    value = state["value"] or None
    if value is None:
        return Cell(None, kind)
    if kind == "n":
        value = _number(value)
        style = state["s"]
        if style in dates:
            try:
                return Cell(from_excel(value, epoch, timedelta=style in deltas), "d")
            except (OverflowError, ValueError):
                return Cell("#VALUE!", "e")
        return Cell(value, "n")
    if kind == "s":
        return Cell(strings[int(value)], "s")
    if kind == "b":
        return Cell(bool(int(value)), "b")
    if kind == "str":
        return Cell(value, "s")
    if kind == "d":
        return Cell(from_ISO8601(value), "d")
    return Cell(value, kind)


def _row(cells: list[tuple[int, Cell]]) -> tuple:
    if not cells:
        return ()
    width = cells[-1][0]  # openpyxl sizes a row by its last cell
    row = [EMPTY] * width
    for column, cell in cells:
        if 1 <= column <= width:
            row[column - 1] = cell
    return tuple(row)


class Book:
    """The workbook's sheets, read lazily; close() when done."""

    def __init__(self, handle):
        reader = ExcelReader(handle, read_only=True, data_only=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        self.archive = reader.archive
        self.strings = reader.shared_strings
        self.dates = reader.wb._date_formats
        self.deltas = reader.wb._timedelta_formats
        self.epoch = reader.wb.epoch
        self.worksheets = [
            Sheet(self, sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]

    def close(self) -> None:
        self.archive.close()


def load(handle) -> Book:
    return Book(handle)
