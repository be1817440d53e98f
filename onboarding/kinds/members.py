"""Party members (党员) of the communities under the importing area.

A member is found within their community by mobile number, else by name; the register of a
community is read in one query, so a file of thousands of members costs a handful of
queries to check. Mobile numbers are personal: an export masks them for whoever may not
see them in full, and a masked number that matches the member's own keeps it.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches import services as branch_services
from branches.models import Branch, MemberKind, PartyGroup, PartyMember
from branches.policy import BranchCapability
from core.personal import mask_mobile
from grids.roles import COMMUNITY_LEVELS
from onboarding.kinds.support import (
    BAD,
    MASK,
    area_cell,
    areas_by_code,
    duplicate,
    full_personal,
    label,
    mobile_cell,
    read_row,
    report_invalid,
    usable,
    yes_no,
)
from onboarding.spec import CREATED, UNCHANGED, UPDATED, Column, Job, Kind, Sheet, boolean

MEMBERS = Sheet(
    "members",
    "Party members",
    "党员",
    (
        Column("name", "Name", "姓名", required=True, example="张伟"),
        Column(
            "mobile",
            "Mobile",
            "手机号码",
            text=True,
            example="13812345678",
            help=gettext_lazy("11-digit mobile number; finds the member in their community."),
        ),
        Column(
            "kind",
            "Kind",
            "党员类型",
            choices=lambda: MemberKind.choices,
            example="resident",
            width=20,
            help=gettext_lazy("Resident, in-service, retired or mobile party member."),
        ),
        Column(
            "work_unit",
            "Work unit",
            "工作单位",
            width=24,
            help=gettext_lazy("Required for in-service members."),
        ),
        Column(
            "community",
            "Community code",
            "社区编码",
            required=True,
            text=True,
            example="C-01",
            help=gettext_lazy("Code of the community or village the member belongs to."),
        ),
        Column(
            "branch",
            "Branch code",
            "支部编码",
            text=True,
            example="BR-0101",
            help=gettext_lazy("Code of the party branch, in the member's community."),
        ),
        Column(
            "party_group",
            "Party group",
            "党小组",
            help=gettext_lazy("Name of a party group of that branch."),
        ),
        Column(
            "active",
            "Active",
            "是否在册",
            example="yes",
            help=gettext_lazy("Yes or no; empty: yes."),
        ),
    ),
)


def _differs(member: PartyMember, fields: dict) -> bool:
    for field, value in fields.items():
        if field in ("branch", "party_group"):  # by id: no query per member
            if getattr(member, f"{field}_id") != (value.pk if value else None):
                return True
        elif getattr(member, field) != value:
            return True
    return False


class MembersKind(Kind):
    name = "members"
    capability = BranchCapability.MANAGE_BRANCHES
    label = gettext_lazy("Party members")
    sheets = (MEMBERS,)
    personal = True
    notes = (
        gettext_lazy(
            "One row per party member. A member is found in their community by mobile "
            "number, else by name: give the mobile number when two members share a name. "
            "An empty mobile number keeps the one on record. Members are never deleted by "
            "an import; mark those who left as not active."
        ),
        gettext_lazy(
            "An exported file shows mobile numbers masked unless you may see them in full; "
            "a masked number that matches the member's own is kept."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = MEMBERS
        parsers = {
            "name": None,
            "mobile": mobile_cell,
            "kind": None,
            "work_unit": None,
            "community": None,
            "branch": None,
            "party_group": None,
            "active": boolean,
        }
        rows = job.rows.get("members", [])
        read = []
        for position, row in enumerate(rows, 1):
            if position % 2000 == 0:
                job.progress(position, len(rows))
            read.append(read_row(job, sheet, row, parsers))
        communities = areas_by_code(v["community"] for v in read)
        in_scope = [a.pk for a in communities.values() if a.path.startswith(job.area.path)]
        branches = {
            b.code: b
            for b in Branch.objects.filter(
                code__in={v["branch"] for v in read if v["branch"] and v["branch"] is not BAD}
            )
        }
        groups = {
            (g.branch_id, g.name): g
            for g in PartyGroup.objects.filter(branch__in=[b.pk for b in branches.values()])
        }
        by_phone: dict[tuple[int, str], list[PartyMember]] = {}
        by_name: dict[tuple[int, str], list[PartyMember]] = {}
        for member in (
            PartyMember.objects.filter(community__in=in_scope)
            .select_related("household__grid")
            .defer("household__grid__boundary")
        ):
            if member.phone:
                by_phone.setdefault((member.community_id, member.phone), []).append(member)
            by_name.setdefault((member.community_id, member.name), []).append(member)

        plan: list[dict] = []
        seen: dict = {}
        for values in read:
            row = values["row"]
            values["community"] = area_cell(
                job, sheet, row, "community", values["community"], communities, COMMUNITY_LEVELS
            )
            self._references(job, values, branches, groups)
            if not usable(values):
                continue
            current = self._find(job, values, by_phone, by_name)
            if current is BAD:
                continue
            community = values["community"]
            key = current.pk if current else (community.pk, values["mobile"] or values["name"])
            if duplicate(job, sheet, row, "name", seen, key):
                continue
            fields = {
                "name": values["name"],
                "kind": values["kind"] or MemberKind.RESIDENT,
                "work_unit": values["work_unit"],
                "branch": values["branch"],
                "party_group": values["party_group"],
                "active": True if values["active"] is None else values["active"],
            }
            if values["mobile"] and MASK not in values["mobile"]:
                fields["phone"] = values["mobile"]
            if current is None:
                outcome = CREATED
                probe = PartyMember(community=community)
            elif _differs(current, fields):
                outcome = UPDATED
                probe = copy.copy(current)
                probe.community = community  # read above: clean() then needs no query
            else:
                outcome = UNCHANGED
                probe = None
            if probe is not None:
                for field, value in fields.items():
                    setattr(probe, field, value)
                try:
                    # References are checked above from what was read in bulk.
                    probe.full_clean(
                        exclude=["community", "branch", "party_group", "household", "user"],
                        validate_unique=False,
                        validate_constraints=False,
                    )
                except ValidationError as exc:
                    report_invalid(job, sheet, row, exc, {"phone": "mobile"})
                    continue
            job.tallies["members"].add(outcome)
            plan.append(
                {
                    "row": row,
                    "community": community,
                    "current": current,
                    "fields": fields,
                    "outcome": outcome,
                }
            )
        job.plan = plan

    def _references(self, job: Job, values: dict, branches: dict, groups: dict) -> None:
        sheet, row = MEMBERS, values["row"]
        code, group = values["branch"], values["party_group"]
        branch = None
        if code and code is not BAD:
            branch = branches.get(code)
            if branch is None:
                job.report.cell(sheet, row, "branch", _("No party branch has this code."))
                values["branch"] = BAD
            elif values["community"] not in (BAD, None) and branch.community_id != (
                values["community"].pk
            ):
                job.report.cell(
                    sheet, row, "branch", _("The branch must belong to the member's community.")
                )
                values["branch"] = BAD
            else:
                values["branch"] = branch
        else:
            values["branch"] = None if code is not BAD else BAD
        if group and group is not BAD:
            if branch is None:
                job.report.cell(
                    sheet, row, "party_group", _("Give the branch this party group belongs to.")
                )
                values["party_group"] = BAD
            elif (branch.pk, group) not in groups:
                job.report.cell(
                    sheet, row, "party_group", _("The branch has no party group of this name.")
                )
                values["party_group"] = BAD
            else:
                values["party_group"] = groups[(branch.pk, group)]
        else:
            values["party_group"] = None if group is not BAD else BAD

    def _find(self, job: Job, values: dict, by_phone: dict, by_name: dict):
        """The member the row names, None for a new one, BAD (reported) if it cannot be told."""
        sheet, row = MEMBERS, values["row"]
        community, mobile, name = values["community"].pk, values["mobile"], values["name"]
        namesakes = by_name.get((community, name), [])
        if mobile and MASK in mobile:
            found = [m for m in namesakes if mask_mobile(m.phone) == mobile]
            if len(found) != 1:
                job.report.cell(
                    sheet,
                    row,
                    "mobile",
                    _("A masked mobile number cannot be imported; type it in full.")
                    if not found
                    else _("Several members of this name have this masked number."),
                )
                return BAD
            return found[0]
        if mobile:
            found = by_phone.get((community, mobile), [])
            if not found:  # a member on record without a number gets one
                found = [m for m in namesakes if not m.phone]
                if len(found) > 1:
                    found = []
        else:
            found = namesakes
        if len(found) > 1:
            job.report.cell(
                sheet,
                row,
                "mobile",
                _("Several members of this community match; give the mobile number."),
            )
            return BAD
        return found[0] if found else None

    def write(self, job: Job) -> None:
        total = len(job.plan)
        for position, item in enumerate(job.plan, 1):
            if position % 500 == 0:
                job.progress(position, total)
            if item["outcome"] == UNCHANGED:
                continue
            try:
                branch_services.save_member(
                    by=job.by,
                    community=item["community"],
                    member=item["current"],
                    **item["fields"],
                )
            except ValidationError as exc:
                report_invalid(job, MEMBERS, item["row"], exc, {"phone": "mobile"})
        job.progress(total, total)
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        full = full_personal(job)
        members = (
            PartyMember.objects.filter(community__path__startswith=job.area.path)
            .select_related("community", "branch", "party_group")
            .defer("community__boundary")
            .order_by("community__path", "name", "pk")
        )

        def rows():
            for member in members.iterator(chunk_size=2000):
                yield [
                    member.name,
                    member.phone if full else mask_mobile(member.phone),
                    label(MemberKind, member.kind),
                    member.work_unit,
                    member.community.code,
                    member.branch.code if member.branch else "",
                    member.party_group.name if member.party_group else "",
                    yes_no(job, member.active),
                ]

        return {"members": rows()}
