"""Load a file: ``import_data KIND FILE [--area CODE] [--dry-run]``, or write the empty
template: ``import_data KIND --template FILE``. The same services as the page; the report goes
to stdout and the exit status is 1 when any row is refused."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from grids.models import Area
from onboarding import engine, services
from onboarding.kinds import KINDS
from onboarding.models import ImportRun


class Command(BaseCommand):
    help = "Import areas, boundaries, households, staff… from .xlsx, .csv or .geojson."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", nargs="?")
        parser.add_argument("--area", help="code of the area imported into (default: district)")
        parser.add_argument("--dry-run", action="store_true", help="check and preview only")
        parser.add_argument("--template", metavar="FILE", help="write the empty template")
        parser.add_argument("--language", default="zh-hans", help="zh-hans (default) or en")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="kind options, e.g. code_property=GRID_CODE or crs=gcj02 for boundaries",
        )

    def handle(self, *args, kind, file, area, dry_run, template, language, option, **rest):
        if template:
            Path(template).write_bytes(services.template_bytes(kind, language))
            self.stdout.write(f"template written to {template}")
            return
        if not file:
            raise CommandError("give a FILE to import, or --template FILE")
        root = self._area(area)
        options = dict(item.split("=", 1) for item in option if "=" in item)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        with translation.override(language), path.open("rb") as handle:
            try:
                run = services.start_import(
                    by=None,
                    area=root,
                    kind=kind,
                    upload=File(handle, name=path.name),
                    options=options,
                    language=language,
                    enqueue=False,
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        verbose = rest.get("verbosity", 1) > 0
        progress = self._printer() if verbose else None
        run = self._step(engine.check, run, progress)
        if run.status == ImportRun.Status.READY and not dry_run:
            ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CONFIRMED)
            run = self._step(engine.write, run, progress)
        self._report(run, dry_run)
        if run.status not in (ImportRun.Status.READY, ImportRun.Status.DONE):
            sys.exit(1)

    def _area(self, code: str | None) -> Area:
        if code:
            try:
                return Area.objects.get(code=code)
            except Area.DoesNotExist:
                raise CommandError(f"no area has the code {code}") from None
        roots = list(Area.get_root_nodes()[:2])
        if len(roots) != 1:
            raise CommandError("give --area CODE: there is not exactly one district")
        return roots[0]

    def _printer(self):
        def show(stage: str, done: int, total: int) -> None:
            self.stderr.write(f"\r{stage}: {done:,}/{total:,}", ending="")
            self.stderr.flush()

        return show

    def _step(self, step, run: ImportRun, progress) -> ImportRun:
        result = step(run.pk, echo=progress)
        if progress is not None:
            self.stderr.write("")
        return result or ImportRun.objects.get(pk=run.pk)

    def _report(self, run: ImportRun, dry_run: bool) -> None:
        self.stdout.write(
            f"{run.kind} from {run.file_name} into {run.area.code}: "
            f"{run.get_status_display()} (import {run.pk}, {run.rows} rows)"
        )
        for sheet, tally in (run.tallies or {}).items():
            verb = "would be" if dry_run or run.status != ImportRun.Status.DONE else "were"
            self.stdout.write(
                f"  {sheet}: {tally['created']} {verb} created, {tally['updated']} updated, "
                f"{tally['unchanged']} unchanged"
            )
        if run.problem_count:
            self.stdout.write(f"{run.problem_count} problems:")
            for problem in run.problems:
                where = " ".join(
                    str(part)
                    for part in (
                        problem["sheet"],
                        problem["row"] and f"row {problem['row']}",
                        problem["column"],
                    )
                    if part
                )
                value = f" [{problem['value']}]" if problem["value"] else ""
                self.stdout.write(f"  {where}{value}: {problem['message']}")
            if run.problem_count > len(run.problems):
                self.stdout.write(f"  … and {run.problem_count - len(run.problems)} more")
            if run.report:
                try:
                    where = run.report.path
                except NotImplementedError:  # in a bucket (S3_BUCKET): its key there
                    where = f"{run.report.storage.bucket_name}/{run.report.storage.location}/"
                    where += run.report.name
                self.stdout.write(f"full report: {where}")
