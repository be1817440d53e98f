"""Checking and writing an import: what the Celery tasks and the command run.

A check reads the whole file and reports every problem before anything is written; a write
checks again (the database may have changed since the preview) and writes in one
transaction only when nothing is wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import time
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit
from onboarding import files
from onboarding.kinds import allowed, kind_named
from onboarding.models import ImportRun
from onboarding.spec import Job

logger = logging.getLogger(__name__)
PROBLEMS_KEPT = 200  # shown on the page; the report workbook holds them all
S = ImportRun.Status


Echo = Callable[[str, int, int], None]  # (stage, done, total), e.g. the command's stderr


def _progress_for(run_id: int, stage: str, echo: Echo | None = None) -> Callable[[int, int], None]:
    """Progress outside any transaction is committed at once; inside the write it is not
    visible to others, so the write reports to the cache as well (core/cache: best effort)."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        if echo is not None:
            echo(stage, done, total)
        now = time.monotonic()
        if done < total and now - last[0] < 1.0:
            return
        last[0] = now
        if transaction.get_connection().in_atomic_block:
            from django.core.cache import cache

            # Redis away: the page shows the stage without a percentage.
            with contextlib.suppress(Exception):
                cache.set(f"import-progress:{run_id}", (stage, done, total), 3600)
        else:
            ImportRun.objects.filter(pk=run_id).update(
                stage=stage, progress_done=done, progress_total=total
            )

    return report


def live_progress(run: ImportRun) -> tuple[str, int, int]:
    """(stage, done, total) for the page: the cache while writing, else the row."""
    if run.status == S.WRITING:
        from django.core.cache import cache

        try:
            found = cache.get(f"import-progress:{run.pk}")
        except Exception:
            found = None
        if found:
            return tuple(found)
    return run.stage, run.progress_done, run.progress_total


def _job(run: ImportRun, stage: str, echo: Echo | None) -> Job:
    return Job(
        kind=kind_named(run.kind),
        area=run.area,
        by=run.confirmed_by or run.created_by,
        language=run.language,
        options=run.options,
        progress=_progress_for(run.pk, stage, echo),
    )


def _read_and_check(run: ImportRun, job: Job) -> str | None:
    """Fill ``job`` from the run's file and check it; the file's extension, or None when the
    file itself was refused (recorded in the report)."""
    extension = files.extension_of(run.file_name)
    try:  # again at each step: a post may have ended since the upload
        allowed(job.by, job.area, job.kind)
    except PermissionDenied as exc:
        job.report.file(str(exc))
        return extension
    with run.file.open("rb") as handle:
        try:
            files.sniff(handle, extension)
            (job.kind.load or files.read_tables)(job, handle, extension)
        except files.FileRefused as exc:
            job.report.file(str(exc))
            return None
    rows = sum(len(rows) for rows in job.rows.values())
    ImportRun.objects.filter(pk=run.pk).update(rows=rows)
    if not job.report:
        job.kind.check(job)
    return extension


def _record_problems(run: ImportRun, job: Job, extension: str | None) -> None:
    run.status = S.INVALID
    run.problem_count = len(job.report)
    run.problems = [problem.as_dict() for problem in job.report.problems[:PROBLEMS_KEPT]]
    try:
        if extension is None:
            workbook = files.report(job, None, "none")
        else:
            with run.file.open("rb") as handle:
                workbook = files.report(job, handle, extension)
        out = io.BytesIO()
        workbook.save(out)
        run.report.save(f"report-{run.pk}.xlsx", ContentFile(out.getvalue()), save=False)
    except Exception:  # the problems on the page stand without the workbook
        logger.exception("could not write the report of import %s", run.pk)


def check(run_id: int, *, echo: Echo | None = None) -> ImportRun | None:
    """Check a queued import and record its preview or its problems. Idempotent: only a
    queued run is claimed, so a retried task does nothing."""
    if not ImportRun.objects.filter(pk=run_id, status=S.QUEUED).update(
        status=S.CHECKING, stage="reading"
    ):
        return None
    run = ImportRun.objects.select_related("area").get(pk=run_id)
    job = _job(run, "checking", echo)
    with translation.override(run.language):
        extension = _read_and_check(run, job)
        run.refresh_from_db(fields=["rows"])
        run.tallies = {key: tally.as_dict() for key, tally in job.tallies.items()}
        run.checked_at = timezone.now()
        if job.report:
            _record_problems(run, job, extension)
        else:
            run.status, run.problem_count, run.problems = S.READY, 0, []
        run.stage = ""
        run.save()
    return run


def write(run_id: int, *, echo: Echo | None = None) -> ImportRun | None:
    """Write a confirmed import in one transaction after checking it again."""
    if not ImportRun.objects.filter(pk=run_id, status=S.CONFIRMED).update(
        status=S.WRITING, stage="checking"
    ):
        return None
    started = time.monotonic()
    run = ImportRun.objects.select_related("area", "created_by", "confirmed_by").get(pk=run_id)
    job = _job(run, "checking", echo)
    with translation.override(run.language):
        try:
            extension = _read_and_check(run, job)
            if not job.report:
                job.progress = _progress_for(run.pk, "writing", echo)
                # Each object written gets an audit entry naming this run and its file.
                with (
                    transaction.atomic(),
                    audit.imported(run=run.pk, file=run.file_name, actor=job.by),
                ):
                    job.kind.write(job)
        except ValidationError as exc:  # a rule only the write could see: nothing was kept
            job.report.file("; ".join(exc.messages))
        run.refresh_from_db(fields=["rows"])
        run.tallies = {key: tally.as_dict() for key, tally in job.tallies.items()}
        if job.report:
            _record_problems(run, job, extension)
        else:
            run.status, run.problem_count, run.problems = S.DONE, 0, []
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - started, 2)
        run.stage = ""
        run.save()
    return run


# --- Runs that lost their task -------------------------------------------------------------

# A queued run older than this lost its message (the broker was away): queue it again.
REQUEUE_AFTER = dt.timedelta(minutes=2)
# A run checking or writing for longer than this lost its worker (a street's file takes two
# minutes; its transaction rolled back when the worker died): it is marked interrupted.
INTERRUPTED_AFTER = dt.timedelta(hours=2)


def stalled(now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """(runs to check again, runs to write again); runs whose worker died are marked failed."""
    now = now or timezone.now()
    dead = ImportRun.objects.filter(
        Q(status=S.CHECKING, created_at__lt=now - INTERRUPTED_AFTER)
        | Q(status=S.WRITING, confirmed_at__lt=now - INTERRUPTED_AFTER)
    )
    for run in dead.only("pk", "status", "language")[:100]:
        with translation.override(run.language):
            message = _(
                "The import was interrupted (its worker stopped) and nothing was written. "
                "Upload the file again."
            )
        ImportRun.objects.filter(pk=run.pk, status=run.status).update(
            status=S.FAILED,
            stage="",
            problem_count=1,
            problems=[{"sheet": "", "row": None, "column": "", "value": "", "message": message}],
            finished_at=now,
        )
    to_check = ImportRun.objects.filter(status=S.QUEUED, created_at__lt=now - REQUEUE_AFTER)
    to_write = ImportRun.objects.filter(status=S.CONFIRMED, confirmed_at__lt=now - REQUEUE_AFTER)
    return (
        list(to_check.values_list("pk", flat=True)[:100]),
        list(to_write.values_list("pk", flat=True)[:100]),
    )
