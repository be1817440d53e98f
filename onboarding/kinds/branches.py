"""Party branches (党支部) and the grids each covers ("一网格一支部"), by branch code.

A branch is written with ``branches.services.save_branch``, so its rules are the app's: the
grids of one community, each in one branch only, neighbours when joint. A grid may pass
from one branch to another in the same file; branches giving grids up are written first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches import services as branch_services
from branches.models import Branch, BranchGrid, PartyMember
from branches.policy import BranchCapability
from core.personal import normalize_mobile
from grids.roles import COMMUNITY_LEVELS, Level
from onboarding.kinds.support import (
    BAD,
    area_cell,
    areas_by_code,
    duplicate,
    read_row,
    report_invalid,
    under,
    usable,
)
from onboarding.spec import CREATED, UNCHANGED, UPDATED, Column, Job, Kind, Sheet, date, items

BRANCHES = Sheet(
    "branches",
    "Party branches",
    "党支部",
    (
        Column(
            "code",
            "Branch code",
            "支部编码",
            required=True,
            text=True,
            example="BR-0101",
            help=gettext_lazy("Permanent code of the branch: letters, digits, - and _."),
        ),
        Column("name", "Name", "支部名称", required=True, example="幸福第一网格党支部", width=28),
        Column(
            "community",
            "Community code",
            "社区编码",
            required=True,
            text=True,
            example="C-01",
            help=gettext_lazy("Code of the community or village of the branch."),
        ),
        Column(
            "grids",
            "Grid codes",
            "网格编码",
            required=True,
            text=True,
            example="G-0101、G-0102",
            width=24,
            help=gettext_lazy(
                "The grids the branch covers, separated by 、 or commas: one grid, or "
                "neighbouring grids of the community for a joint branch (联合组建)."
            ),
        ),
        Column(
            "secretary",
            "Secretary",
            "支部书记",
            text=True,
            example="13812345678",
            help=gettext_lazy(
                "A party member of the community: their mobile number, user name or name."
            ),
        ),
        Column("founded_on", "Founded on", "成立日期", example="2020-07-01"),
    ),
)


class BranchesKind(Kind):
    name = "branches"
    capability = BranchCapability.MANAGE_BRANCHES
    label = gettext_lazy("Party branches")
    sheets = (BRANCHES,)
    notes = (
        gettext_lazy(
            "One row per branch. A known code updates that branch: its name, secretary, "
            "founding date and grids (the grids listed replace those it had). Branches are "
            "never deleted or moved to another community by an import."
        ),
        gettext_lazy(
            "Import the party members first: the secretary must be a member of the "
            "branch's community."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = BRANCHES
        parsers = {
            "code": None,
            "name": None,
            "community": None,
            "grids": items,
            "secretary": None,
            "founded_on": date,
        }
        read = [read_row(job, sheet, row, parsers) for row in job.rows.get("branches", [])]
        grid_codes = {c for v in read if v["grids"] is not BAD for c in v["grids"]}
        areas = areas_by_code({v["community"] for v in read} | grid_codes)
        existing = {
            b.code: b
            for b in Branch.objects.filter(
                code__in={v["code"] for v in read if v["code"] is not BAD}
            ).select_related("community")
        }
        coverage: dict[int, set[int]] = {}
        taken: dict[int, Branch] = {}
        for link in BranchGrid.objects.filter(
            branch__in=[b.pk for b in existing.values()]
        ) | BranchGrid.objects.filter(grid__code__in=grid_codes):
            coverage.setdefault(link.branch_id, set()).add(link.grid_id)
            taken[link.grid_id] = link.branch_id
        secretaries = _Secretaries(
            [a.pk for a in areas.values() if a.level in COMMUNITY_LEVELS and under(a, job.area)]
        )

        plan: list[dict] = []
        seen_codes: dict = {}
        seen_grids: dict = {}
        in_file: dict[int, dict] = {}  # existing branch pk -> its row's values
        for values in read:
            row = values["row"]
            community = area_cell(
                job, sheet, row, "community", values["community"], areas, COMMUNITY_LEVELS
            )
            values["community"] = community
            code = values["code"]
            if code is not BAD and duplicate(job, sheet, row, "code", seen_codes, code):
                continue
            current = existing.get(code) if code is not BAD else None
            if current is not None and not under(current.community, job.area):
                job.report.cell(
                    sheet,
                    row,
                    "code",
                    _("This code belongs to a branch outside %(area)s.") % {"area": job.area.name},
                )
                continue
            if (
                current is not None
                and community not in (BAD, None)
                and (current.community_id != community.pk)
            ):
                job.report.cell(
                    sheet,
                    row,
                    "community",
                    _("The branch is in %(community)s; an import does not move branches.")
                    % {"community": current.community.code},
                )
                continue
            values["grids"] = self._grids(job, values, areas, seen_grids)
            values["secretary"] = (
                secretaries.find(job, row, community.pk, values["secretary"])
                if community not in (BAD, None) and values["secretary"] is not BAD
                else BAD
            )
            if not usable(values):
                continue
            probe = Branch(
                pk=current.pk if current else None,
                code=code,
                name=values["name"],
                community=community,
                secretary=values["secretary"],
                founded_on=values["founded_on"],
            )
            try:
                probe.full_clean(exclude=["community", "secretary"], validate_unique=False)
            except ValidationError as exc:
                report_invalid(job, sheet, row, exc)
                continue
            grid_ids = {grid.pk for grid in values["grids"]}
            if current is None:
                outcome = CREATED
            elif (
                current.name != values["name"]
                or current.founded_on != values["founded_on"]
                or current.secretary_id != (probe.secretary_id)
                or coverage.get(current.pk, set()) != grid_ids
            ):
                outcome = UPDATED
            else:
                outcome = UNCHANGED
            values.update(current=current, outcome=outcome, grid_ids=grid_ids)
            if current is not None:
                in_file[current.pk] = values
            plan.append(values)

        # A grid of another branch may be taken only from a branch this file gives it up in.
        ok: list[dict] = []
        for values in plan:
            own = values["current"].pk if values["current"] else None
            clashes = []
            for grid in values["grids"]:
                holder = taken.get(grid.pk)
                if holder is None or holder == own:
                    continue
                giver = in_file.get(holder)
                if giver is None or grid.pk in giver["grid_ids"]:
                    clashes.append(grid.code)
            if clashes:
                job.report.cell(
                    sheet,
                    values["row"],
                    "grids",
                    _("Each grid has one branch only; already covered: %(grids)s.")
                    % {"grids": "、".join(clashes)},
                )
                continue
            values["releases"] = bool(own and coverage.get(own, set()) - values["grid_ids"])
            job.tallies["branches"].add(values["outcome"])
            ok.append(values)
        ok.sort(key=lambda values: not values["releases"])
        job.plan = ok

    def _grids(self, job: Job, values: dict, areas: dict, seen: dict):
        sheet, row = BRANCHES, values["row"]
        codes, community = values["grids"], values["community"]
        if codes is BAD:
            return BAD
        found, bad = [], []
        for code in codes:
            grid = areas.get(code)
            if grid is None:
                bad.append(_("No area has the code %(code)s.") % {"code": code})
            elif not under(grid, job.area):
                bad.append(
                    _("%(code)s lies outside %(area)s.") % {"code": code, "area": job.area.name}
                )
            elif grid.level != Level.GRID:
                bad.append(_("%(code)s is not a grid.") % {"code": code})
            elif community not in (BAD, None) and not under(grid, community):
                bad.append(
                    _("%(code)s is not in %(community)s.")
                    % {"code": code, "community": community.name}
                )
            elif grid.pk in seen:
                bad.append(
                    _("%(code)s is also on row %(row)s.")
                    % {"code": code, "row": seen[grid.pk].number}
                )
            else:
                seen[grid.pk] = row
                found.append(grid)
        for message in bad:
            job.report.cell(sheet, row, "grids", message)
        return BAD if bad else found

    def write(self, job: Job) -> None:
        total = len(job.plan)
        for position, values in enumerate(job.plan, 1):
            job.progress(position, total)
            if values["outcome"] == UNCHANGED:
                continue
            try:
                branch_services.save_branch(
                    by=job.by,
                    community=values["community"],
                    code=values["code"],
                    name=values["name"],
                    grids=values["grids"],
                    secretary=values["secretary"],
                    founded_on=values["founded_on"],
                    branch=values["current"],
                )
            except ValidationError as exc:
                report_invalid(job, BRANCHES, values["row"], exc)
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        branches = (
            Branch.objects.filter(community__path__startswith=job.area.path)
            .select_related("community", "secretary__user")
            .defer("community__boundary")
            .order_by("community__path", "code")
        )
        grids: dict[int, list[str]] = {}
        for branch_id, code in (
            BranchGrid.objects.filter(branch__community__path__startswith=job.area.path)
            .order_by("grid__path")
            .values_list("branch_id", "grid__code")
        ):
            grids.setdefault(branch_id, []).append(code)

        def rows():
            for branch in branches:
                secretary = branch.secretary
                yield [
                    branch.code,
                    branch.name,
                    branch.community.code,
                    "、".join(grids.get(branch.pk, [])),
                    (secretary.user.username if secretary.user else secretary.name)
                    if secretary
                    else "",
                    branch.founded_on,
                ]

        return {"branches": rows()}


class _Secretaries:
    """The party members of the communities in a file, read once, to name a secretary."""

    def __init__(self, community_ids: list[int]):
        self.members: dict[int, list[PartyMember]] = {}
        for member in PartyMember.objects.filter(community__in=community_ids).select_related(
            "user"
        ):
            self.members.setdefault(member.community_id, []).append(member)

    def find(self, job: Job, row, community_id: int, text: str) -> PartyMember | object | None:
        if not text:
            return None
        mine = self.members.get(community_id, [])
        phone = normalize_mobile(text)
        for match in (
            lambda m: phone.isdigit() and m.phone == phone,
            lambda m: m.user is not None and m.user.username == text,
            lambda m: m.name == text,
        ):
            found = [m for m in mine if match(m)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                job.report.cell(
                    BRANCHES,
                    row,
                    "secretary",
                    _("Several party members of the community match; give the mobile number."),
                )
                return BAD
        job.report.cell(BRANCHES, row, "secretary", _("No party member of the community matches."))
        return BAD
