"""Areas: the tree under the importing area, by code (codes are permanent, so a code is the
stable key: a known code is updated, a new one created; an import never moves an area)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids import services as grid_services
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.roles import LEVEL_DEPTH, Level
from onboarding.spec import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CellError,
    Column,
    Job,
    Kind,
    Sheet,
    choice,
)

AREAS = Sheet(
    "areas",
    "Areas",
    "区域",
    (
        Column(
            "code",
            "Code",
            "编码",
            required=True,
            text=True,
            example="G-0101",
            help=gettext_lazy("Permanent code of the area: letters, digits, - and _."),
        ),
        Column(
            "name",
            "Name",
            "名称",
            required=True,
            example="幸福花园网格",
            width=24,
            help=gettext_lazy("Name as residents know it."),
        ),
        Column(
            "level",
            "Level",
            "层级",
            required=True,
            choices=lambda: Level.choices,
            example="grid",
            help=gettext_lazy("District, street, community, grid…"),
        ),
        Column(
            "parent",
            "Parent code",
            "上级编码",
            required=True,
            text=True,
            example="C-01",
            help=gettext_lazy(
                "Code of the area it lies in: an existing one or one above in this file."
            ),
        ),
        Column(
            "grid_kind",
            "Grid kind",
            "网格类型",
            choices=lambda: Area.GridKind.choices,
            example="comprehensive",
            help=gettext_lazy("Grids only: comprehensive or dedicated."),
        ),
        Column(
            "dedicated_type",
            "Dedicated type",
            "专属网格类别",
            choices=lambda: Area.DedicatedType.choices,
            help=gettext_lazy("Dedicated grids only: what the grid covers."),
        ),
    ),
)
FIELDS = ("name", "level", "grid_kind", "dedicated_type")


class AreasKind(Kind):
    name = "areas"
    capability = TerritoryCapability.EDIT_AREAS
    label = gettext_lazy("Areas")
    sheets = (AREAS,)
    notes = (
        gettext_lazy(
            "One row per area. Parents may come before or after their children. An existing "
            "code updates that area's name and kind; areas are never moved or deleted by an "
            "import. Boundaries are loaded separately from a GeoJSON file."
        ),
    )

    def check(self, job: Job) -> None:
        report, sheet = job.report, AREAS
        rows = job.rows.get("areas", [])
        root = job.area
        wanted: dict[str, dict] = {}
        for row in rows:
            values: dict = {"row": row}
            for key in ("code", "name", "parent"):
                values[key] = row.get(key)
                if not values[key]:
                    report.cell(sheet, row, key, _("This cell is required."))
            for key in ("level", "grid_kind", "dedicated_type"):
                try:
                    values[key] = choice(sheet.column(key), row.get(key))
                except CellError as exc:
                    report.cell(sheet, row, key, str(exc))
                    values[key] = None
            if values["level"] == "" and row.get("code"):
                report.cell(sheet, row, "level", _("This cell is required."))
            code = values["code"]
            if code and code in wanted:
                report.cell(
                    sheet,
                    row,
                    "code",
                    _("The same code is on row %(row)s.") % {"row": wanted[code]["row"].number},
                )
                continue
            if code:
                wanted[code] = values
        existing = {
            area.code: area
            for area in Area.objects.filter(
                code__in=list(wanted) + [v["parent"] for v in wanted.values() if v["parent"]]
            )
        }
        plan: list[tuple[dict, Area | None, str]] = []
        depth_of: dict[str, int] = {}

        def depth(code: str, seen: tuple = ()) -> int | None:
            """The tree depth the code will stand at, or None if its chain does not reach."""
            if code in depth_of:
                return depth_of[code]
            if code in existing and code not in wanted:
                area = existing[code]
                return area.depth if area.path.startswith(root.path) else None
            values = wanted.get(code)
            if values is None or code in seen or not values["parent"]:
                return None
            above = depth(values["parent"], (*seen, code))
            found = None if above is None else above + 1
            depth_of[code] = found
            return found

        for code, values in wanted.items():
            row = values["row"]
            current = existing.get(code)
            if current is not None and not current.path.startswith(root.path):
                report.cell(
                    sheet,
                    row,
                    "code",
                    _("This code belongs to an area outside %(area)s.") % {"area": root.name},
                )
                continue
            parent_code = values["parent"]
            if not parent_code:
                continue
            parent = existing.get(parent_code)
            if parent_code not in wanted and parent is None:
                report.cell(sheet, row, "parent", _("No area has this code, here or in the file."))
                continue
            if (
                parent is not None
                and parent_code not in wanted
                and not (parent.path.startswith(root.path))
            ):
                report.cell(
                    sheet,
                    row,
                    "parent",
                    _("This area lies outside %(area)s.") % {"area": root.name},
                )
                continue
            parent_depth = depth(parent_code)
            if parent_depth is None:
                report.cell(
                    sheet,
                    row,
                    "parent",
                    _("The chain of parent codes does not reach %(area)s.") % {"area": root.name},
                )
                continue
            if current is not None:
                actual_parent = Area.objects.get_parent(current) if current.depth > 1 else None
                if actual_parent is None or actual_parent.code != parent_code:
                    report.cell(
                        sheet,
                        row,
                        "parent",
                        _("This area lies under %(parent)s; an import does not move areas.")
                        % {"parent": actual_parent.code if actual_parent else "-"},
                    )
                    continue
            values["depth"] = parent_depth + 1
            level = values["level"]
            if level and LEVEL_DEPTH[Level(level)] != parent_depth + 1:
                report.cell(
                    sheet,
                    row,
                    "level",
                    _("A %(level)s cannot lie directly under the parent's level.")
                    % {"level": Level(level).label},
                )
                continue
            # A cell already reported is not reported again by the model's own validation.
            if (
                None in (values["level"], values["grid_kind"], values["dedicated_type"])
                or not (values["name"])
            ):
                continue
            probe = Area(
                code=code,
                name=values["name"],
                level=level,
                grid_kind=values["grid_kind"],
                dedicated_type=values["dedicated_type"],
            )
            try:
                # Field rules and the model's own clean(); the code's uniqueness is known from
                # ``existing`` already, and the database constraints mirror clean(): no query
                # per row.
                probe.clean_fields(exclude=["path", "depth", "numchild", "boundary"])
                probe.clean()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    key = field if field in sheet.header_map().values() else None
                    for message in messages:
                        report.cell(sheet, row, key, message)
                continue
            if current is None:
                outcome = CREATED
            elif any(getattr(current, f) != values[f] for f in FIELDS):
                outcome = UPDATED
            else:
                outcome = UNCHANGED
            job.tallies["areas"].add(outcome)
            plan.append((values, current, outcome))
        # Parents are written before their children.
        plan.sort(key=lambda item: item[0]["depth"])
        job.plan = plan

    def write(self, job: Job) -> None:
        by_code: dict[str, Area] = {}
        total = len(job.plan)
        for position, (values, current, outcome) in enumerate(job.plan, 1):
            job.progress(position, total)
            fields = {f: values[f] for f in FIELDS}
            try:
                if outcome == CREATED:
                    parent = by_code.get(values["parent"]) or Area.objects.get(
                        code=values["parent"]
                    )
                    by_code[values["code"]] = grid_services.create_area(
                        by=job.by, parent=parent, code=values["code"], **fields
                    )
                elif outcome == UPDATED:
                    grid_services.update_area(by=job.by, area=current, **fields)
            except ValidationError as exc:
                job.report.cell(AREAS, values["row"], None, "; ".join(exc.messages))
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        areas = Area.objects.under(job.area, include_self=False).order_by("path")
        codes = dict(Area.objects.under(job.area).values_list("path", "code"))
        step = Area.steplen

        def rows():
            for area in areas.iterator():
                yield [
                    area.code,
                    area.name,
                    area.level,
                    codes.get(area.path[:-step], ""),
                    area.grid_kind,
                    area.dedicated_type,
                ]

        return {"areas": rows()}
