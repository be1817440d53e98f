"""Downloads: lists as streaming CSV, and Excel workbooks (openpyxl).

CSV streams row by row, so a district-wide list never sits in memory; the rows come from
the caller's scoped queryset (``.iterator()``), already masked where they carry personal data.

A ``Watermark`` names who exported and when (and the approval, for a large list of personal
data, grids/exports.py): in a first row above the header and in the file name, so a file
found on a shared drive says where it came from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value):
        return value


def _stamped(prefix: str, extension: str) -> str:
    return f"{prefix}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{extension}"


@dataclass(frozen=True)
class Watermark:
    """Who exported, when, and under which approval (None: no approval was needed)."""

    name: str
    username: str
    approval: int | None = None
    at: datetime = field(default_factory=timezone.now)

    @classmethod
    def of(cls, user, approval: int | None = None) -> Watermark:
        name = getattr(user, "display_name", "") or user.get_username()
        return cls(name=name, username=user.get_username(), approval=approval)

    def line(self) -> str:
        when = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")
        text = _("Exported by %(name)s (%(username)s) at %(time)s") % {
            "name": self.name,
            "username": self.username,
            "time": when,
        }
        if self.approval:
            text += ", " + _("approval #%(number)s") % {"number": self.approval}
        return text

    def filename(self, stem: str, extension: str) -> str:
        """``stem-username-YYYYmmdd-HHMM.extension``."""
        when = timezone.localtime(self.at).strftime("%Y%m%d-%H%M")
        return get_valid_filename(f"{stem}-{self.username}-{when}.{extension}")


PRIVATE = "private, no-store"


def csv_response(
    prefix: str,
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    watermark: Watermark | None = None,
) -> StreamingHttpResponse:
    """``prefix-YYYYmmdd-HHMM.csv`` with ``header`` then each of ``rows`` (evaluated lazily);
    with a ``watermark``, its line first and the user name in the file name."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # Excel needs the BOM to read UTF-8 Chinese
        if watermark is not None:
            yield writer.writerow([watermark.line()])
        yield writer.writerow([str(cell) for cell in header])
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = watermark.filename(prefix, "csv") if watermark else _stamped(prefix, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = PRIVATE  # exports carry personal data: no shared or disk cache
    return response


def xlsx_response(book, filename: str, *, watermark: Watermark | None = None) -> HttpResponse:
    """``book`` as ``filename``; with a ``watermark``, its line above every sheet's rows and
    the user name and time in the file name. (A write-only workbook cannot take a row above
    what it has written: build it with ``Workbook()``.)"""
    if watermark is not None:
        for sheet in book.worksheets:
            sheet.insert_rows(1)
            sheet.cell(row=1, column=1, value=watermark.line())
        stem, _dot, extension = filename.rpartition(".")
        filename = watermark.filename(stem, extension)
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = PRIVATE
    return response
