"""The fast cell reader (onboarding/xlsx.py) gives what openpyxl's read-only sheets give."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from onboarding import xlsx


def trimmed(row: list[tuple]) -> list[tuple]:
    # openpyxl pads rows to the sheet's <dimension> when there is one; the import reads a
    # missing cell as an empty one either way.
    while row and row[-1] == (None, "n"):
        row = row[:-1]
    return row


def through_openpyxl(data: bytes) -> dict[str, list[list[tuple]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return {
            sheet.title: [
                trimmed([(getattr(c, "value", None), getattr(c, "data_type", None)) for c in row])
                for row in sheet.iter_rows()
            ]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def through_xlsx(data: bytes) -> dict[str, list[list[tuple]]]:
    book = xlsx.load(io.BytesIO(data))
    try:
        return {
            sheet.title: [
                trimmed([(c.value, c.data_type) for c in row]) for row in sheet.iter_rows()
            ]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_cells_of_every_kind_read_as_openpyxl_reads_them():
    book = Workbook()
    sheet = book.active
    sheet.title = "户"
    sheet.append(["text", "数字", "日期", None, "formula"])
    sheet.append(["320412195001010011", 12, 3.25, dt.date(2024, 3, 1), "=A1&B1"])
    sheet.append([True, False, 10**16, -0.5, dt.datetime(2024, 3, 1, 8, 30)])
    sheet["C5"] = "a gap above and beside"
    sheet["F5"] = 1.0
    sheet["B7"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    sheet["A8"] = dt.time(8, 30)
    sheet["A8"].number_format = "hh:mm"
    sheet["B8"] = 44000
    sheet["B8"].number_format = "yyyy-mm-dd"
    sheet["C8"] = "  spaced  "
    sheet["D8"] = "=notaformula"
    sheet["D8"].data_type = "s"
    other = book.create_sheet("居民")
    other.append(["only", "row"])
    data = saved(book)

    assert through_xlsx(data) == through_openpyxl(data)


def test_a_write_only_workbook_with_inline_strings_reads_as_openpyxl_reads_it():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Residents")
    sheet.append(["ID number", "name", "born"])
    for n in range(50):
        cell = WriteOnlyCell(sheet, value=f"3204121950010100{n:02d}")
        cell.number_format = "@"
        sheet.append([cell, f"居民{n}", dt.date(1990, 1, 1) + dt.timedelta(days=n)])
    sheet.append([])
    sheet.append(["after", "an", "empty row"])
    data = saved(book)

    assert through_xlsx(data) == through_openpyxl(data)


def test_a_document_type_declaration_is_refused():
    book = Workbook()
    book.active.append(["x"])
    data = saved(book)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"<worksheet",
                    b'<!DOCTYPE w [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]><worksheet',
                    1,
                )
            target.writestr(item, content)
    book = xlsx.load(io.BytesIO(out.getvalue()))

    with pytest.raises(xlsx.Refused):
        list(book.worksheets[0].iter_rows())
