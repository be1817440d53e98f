"""Write an area's data in the import layout: ``export_data KIND FILE [--area CODE]``.

Run by an operator at the server, it carries full values and is recorded like any export."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grids.models import Area
from onboarding import services
from onboarding.kinds import KINDS


class Command(BaseCommand):
    help = "Export areas, households, staff… in the layout import_data reads back."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--area", help="code of the area (default: the district)")
        parser.add_argument("--language", default="zh-hans", help="zh-hans (default) or en")

    def handle(self, *args, kind, file, area, language, **options):
        if area:
            root = Area.objects.filter(code=area).first()
            if root is None:
                raise CommandError(f"no area has the code {area}")
        else:
            roots = list(Area.get_root_nodes()[:2])
            if len(roots) != 1:
                raise CommandError("give --area CODE: there is not exactly one district")
            root = roots[0]
        data, record = services.export_bytes(by=None, area=root, kind=kind, language=language)
        Path(file).write_bytes(data)
        self.stdout.write(f"{record.rows} rows of {kind} from {root.code} written to {file}")
