"""Running an import or an export the way the page does, for the people kinds' tests."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from onboarding import engine, services
from onboarding.kinds import kind_named
from onboarding.models import ImportRun


def workbook(kind: str, rows: list[dict], sheet: str | None = None) -> bytes:
    """An .xlsx with the kind's English headers and ``rows`` (column key -> value)."""
    found = kind_named(kind)
    target = found.sheets[0] if sheet is None else next(s for s in found.sheets if s.key == sheet)
    book = Workbook()
    worksheet = book.active
    worksheet.title = target.en
    worksheet.append([column.header("en") for column in target.columns])
    for row in rows:
        worksheet.append([row.get(column.key, "") for column in target.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check(by, area, kind: str, data: bytes, name: str = "data.xlsx") -> ImportRun:
    run = services.start_import(
        by=by, area=area, kind=kind, upload=SimpleUploadedFile(name, data), enqueue=False
    )
    return engine.check(run.pk)


def run_import(by, area, kind: str, data: bytes, name: str = "data.xlsx") -> ImportRun:
    """Check, and when the check passed confirm and write."""
    run = check(by, area, kind, data, name)
    if run.status != ImportRun.Status.READY:
        return run
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CONFIRMED)
    return engine.write(run.pk)


def export(by, area, kind: str, language: str = "en") -> bytes:
    data, _record = services.export_bytes(by=by, area=area, kind=kind, language=language)
    return data


def exported_rows(data: bytes, kind: str) -> list[list]:
    found = kind_named(kind)
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book[found.sheets[0].en]
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def problems(run: ImportRun) -> list[tuple[int | None, str]]:
    """(row, column) of every problem kept on the run."""
    return [(p["row"], p["column"]) for p in run.problems]


def tally(run: ImportRun, sheet: str) -> dict[str, int]:
    return run.tallies[sheet]
