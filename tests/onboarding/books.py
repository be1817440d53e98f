"""Files to upload, built in memory: workbooks with openpyxl, CSV in a chosen encoding."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AREA_HEADER = ["Code", "Name", "Level", "Parent code", "Grid kind", "Dedicated type"]
AREA_HEADER_ZH = ["编码", "名称", "层级", "上级编码", "网格类型", "专属网格类别"]


def workbook(rows: list[list], *, title: str = "Areas", header=AREA_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows: list[list], header=AREA_HEADER) -> str:
    return "\r\n".join(",".join(str(cell) for cell in line) for line in [header, *rows]) + "\r\n"


def upload(data: bytes, name: str = "areas.xlsx") -> SimpleUploadedFile:
    content_type = XLSX if name.endswith(".xlsx") else "text/csv"
    return SimpleUploadedFile(name, data, content_type=content_type)


# Two new grids in C1 (C1 already holds G1 and G2), as a street office would send them.
GOOD = [
    ["G-NEW-1", "新建第一网格", "grid", "C1", "comprehensive", ""],
    ["G-NEW-2", "新建第二网格", "网格", "C1", "综合网格", ""],
]
# Each row with one bad cell: an unknown level, a parent that does not exist, no name.
BAD = [
    ["G-NEW-1", "新建第一网格", "village-ish", "C1", "comprehensive", ""],
    ["G-NEW-2", "新建第二网格", "grid", "NOWHERE", "comprehensive", ""],
    ["G-NEW-3", "", "grid", "C1", "comprehensive", ""],
]


def with_entities(data: bytes) -> bytes:
    """The workbook with a billion-laughs entity declared and used in its sheet's text."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                text = content.decode()
                declared = (
                    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
                    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                )
                if text.startswith("<?xml"):
                    head, rest = text.split("?>", 1)
                    text = f"{head}?>{declared}{rest}"
                else:
                    text = declared + text
                text = text.replace("G-NEW-1", "&lol3;")
                content = text.encode()
            target.writestr(info, content)
    return out.getvalue()
