"""Downloads: lists as streaming CSV, and Excel workbooks (openpyxl).

CSV streams row by row, so a district-wide list never sits in memory; the rows come from
the caller's scoped queryset (``.iterator()``), already masked where they carry personal data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value):
        return value


def _stamped(prefix: str, extension: str) -> str:
    return f"{prefix}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{extension}"


PRIVATE = "private, no-store"


def csv_response(prefix: str, header: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """``prefix-YYYYmmdd-HHMM.csv`` with ``header`` then each of ``rows`` (evaluated lazily)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # Excel needs the BOM to read UTF-8 Chinese
        yield writer.writerow([str(cell) for cell in header])
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_stamped(prefix, "csv")}"'
    response["Cache-Control"] = PRIVATE  # exports carry personal data: no shared or disk cache
    return response


def xlsx_response(book, filename: str) -> HttpResponse:
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = PRIVATE
    return response
