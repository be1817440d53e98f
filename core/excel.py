"""Excel downloads (openpyxl): one way to hand a workbook to the browser."""

from __future__ import annotations

from io import BytesIO

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(book, filename: str) -> HttpResponse:
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
