"""Importing and exporting files: one path for the page, the Celery tasks and the commands.

An import is checked in full before anything is written (``check``), and written in one
transaction (``write``) only when the check found nothing; the write checks again, since the
database may have changed since the preview. Each kind's own writes go through its app's
services (``onboarding/kinds/``).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.queue import enqueue_on_commit
from grids.models import Area
from onboarding import files
from onboarding.kinds import allowed, kind_named
from onboarding.models import ExportRecord, ImportRun
from onboarding.spec import Job
from onboarding.tasks import check_import, write_import

S = ImportRun.Status


# --- Starting an import -------------------------------------------------------------------


@transaction.atomic
def start_import(
    *,
    by,
    area: Area,
    kind: str,
    upload: File,
    options: dict[str, Any] | None = None,
    language: str = "en",
    enqueue: bool = True,
) -> ImportRun:
    """Keep the uploaded file and queue its check; refuse what is not even a file to check."""
    found = kind_named(kind)
    allowed(by, area, found)
    name = (upload.name or "upload").rsplit("/", 1)[-1]
    try:
        extension = files.extension_of(name)
        if extension not in found.formats:
            raise files.FileRefused(
                _("%(kind)s are imported from %(formats)s files.")
                % {"kind": found.label, "formats": ", ".join(f".{f}" for f in found.formats)}
            )
        files.check_size(upload.size)
    except files.FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from exc
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    run = ImportRun(
        kind=found.name,
        area=area,
        created_by=by,
        created_at=timezone.now(),
        file_name=name[:200],
        file_sha256=digest.hexdigest(),
        file_size=upload.size,
        options=options or {},
        language=language,
    )
    run.file.save(name, upload, save=False)
    run.full_clean(exclude=["file", "report"])
    run.save()
    if enqueue:
        enqueue_on_commit(check_import, run.pk)
    return run


@transaction.atomic
def confirm_import(*, by, run: ImportRun) -> ImportRun:
    """Write a checked import. A second click, or a run already on its way, changes nothing."""
    allowed(by, run.area, kind_named(run.kind))
    claimed = ImportRun.objects.filter(pk=run.pk, status=S.READY).update(
        status=S.CONFIRMED,
        confirmed_by=by,
        confirmed_at=timezone.now(),
        progress_done=0,
        progress_total=0,
        stage="",
    )
    run.refresh_from_db()
    if not claimed and run.status != S.CONFIRMED:
        raise ValidationError(_("This import is not waiting to be written."))
    if claimed:
        enqueue_on_commit(write_import, run.pk)
    return run


# --- Templates and exports ------------------------------------------------------------------


def template_bytes(kind: str, language: str) -> bytes:
    out = io.BytesIO()
    files.template(kind_named(kind), language).save(out)
    return out.getvalue()


@transaction.atomic
def export_bytes(
    *, by, area: Area, kind: str, language: str = "en", remote_addr: str | None = None
) -> tuple[bytes, ExportRecord]:
    """The area's data of ``kind`` in the import layout; each export is recorded, and one
    with full personal values says so."""
    found = kind_named(kind)
    allowed(by, area, found)
    job = Job(kind=found, area=area, by=by, language=language)
    with translation.override(language):
        own_format = getattr(found, "export_geojson", None)
        if own_format is not None:  # boundaries: a FeatureCollection, its features in job.rows
            data = own_format(job)
            count = sum(len(rows) for rows in job.rows.values())
        else:
            sheets = found.export(job)
            counted: dict[str, list] = {key: list(rows) for key, rows in sheets.items()}
            out = io.BytesIO()
            files.export(found, job, counted).save(out)
            data = out.getvalue()
            count = sum(len(rows) for rows in counted.values())
    record = ExportRecord.objects.create(
        kind=found.name,
        area=area,
        by=by,
        rows=count,
        full_personal=bool(job.options.get("full_personal")),
        remote_addr=remote_addr,
    )
    return data, record
