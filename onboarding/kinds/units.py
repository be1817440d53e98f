"""Co-building units (共建单位) of the communities under the importing area.

A unit has no code: its name is unique within its community, so (community, name) is the
stable key. Written with ``branches.services.save_unit``. A contact's mobile number is
personal: masked in an export for whoever may not see it in full, kept when a masked
number matches the one on record.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches import services as branch_services
from branches.models import CoBuildingUnit, UnitKind
from branches.policy import BranchCapability
from core.personal import mask_mobile, normalize_phone, validate_phone
from grids.roles import COMMUNITY_LEVELS
from onboarding.kinds.support import (
    BAD,
    MASK,
    area_cell,
    areas_by_code,
    duplicate,
    full_personal,
    label,
    read_row,
    report_invalid,
    usable,
)
from onboarding.spec import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CellError,
    Column,
    Job,
    Kind,
    Sheet,
    date,
)

UNITS = Sheet(
    "units",
    "Co-building units",
    "共建单位",
    (
        Column(
            "community",
            "Community code",
            "社区编码",
            required=True,
            text=True,
            example="C-01",
            help=gettext_lazy("Code of the community or village that signed the agreement."),
        ),
        Column(
            "name",
            "Name",
            "单位名称",
            required=True,
            example="区税务局",
            width=28,
            help=gettext_lazy("Unique within the community: it finds the unit again."),
        ),
        Column(
            "kind",
            "Kind",
            "单位类型",
            required=True,
            choices=lambda: UnitKind.choices,
            example="government",
            help=gettext_lazy("Government body, enterprise, school, hospital…"),
        ),
        Column("contact_name", "Contact person", "联系人", example="刘主任"),
        Column(
            "contact_phone",
            "Contact phone",
            "联系电话",
            text=True,
            example="0519-8888 6666",
            help=gettext_lazy("A mobile number or a landline with its area code."),
        ),
        Column("agreement_signed_on", "Agreement signed on", "协议签订日期", example="2024-01-15"),
        Column("agreement_ends_on", "Agreement ends on", "协议到期日期", example="2026-12-31"),
        Column(
            "commitments",
            "Commitments",
            "共建内容",
            width=32,
            help=gettext_lazy("What the unit undertakes: resources, services."),
        ),
    ),
)
FIELDS = (
    "kind",
    "contact_name",
    "contact_phone",
    "agreement_signed_on",
    "agreement_ends_on",
    "commitments",
)


def _phone(text: str) -> str:
    if not text or MASK in text:
        return text
    value = normalize_phone(text)
    try:
        validate_phone(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return value


def _is_mobile(value: str) -> bool:
    return len(value) == 11 and value.startswith("1")


class UnitsKind(Kind):
    name = "units"
    capability = BranchCapability.MANAGE_BRANCHES
    label = gettext_lazy("Co-building units")
    sheets = (UNITS,)
    personal = True
    notes = (
        gettext_lazy(
            "One row per unit and community. A unit is found by its name within the "
            "community: a known name updates that unit. Units are never deleted or renamed "
            "by an import."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = UNITS
        parsers = {
            "community": None,
            "name": None,
            "kind": None,
            "contact_name": None,
            "contact_phone": _phone,
            "agreement_signed_on": date,
            "agreement_ends_on": date,
            "commitments": None,
        }
        read = [read_row(job, sheet, row, parsers) for row in job.rows.get("units", [])]
        communities = areas_by_code(v["community"] for v in read)
        existing = {
            (unit.community_id, unit.name): unit
            for unit in CoBuildingUnit.objects.filter(
                community__in=[
                    a.pk for a in communities.values() if a.path.startswith(job.area.path)
                ],
                name__in={v["name"] for v in read if v["name"] is not BAD},
            )
        }
        plan: list[dict] = []
        seen: dict = {}
        for values in read:
            row = values["row"]
            community = area_cell(
                job, sheet, row, "community", values["community"], communities, COMMUNITY_LEVELS
            )
            values["community"] = community
            if not usable(values):
                continue
            if duplicate(job, sheet, row, "name", seen, (community.pk, values["name"])):
                continue
            current = existing.get((community.pk, values["name"]))
            fields = {field: values[field] for field in FIELDS}
            phone = fields["contact_phone"]
            if MASK in phone:
                if current is None or mask_mobile(current.contact_phone) != phone:
                    job.report.cell(
                        sheet,
                        row,
                        "contact_phone",
                        _("A masked mobile number cannot be imported; type it in full."),
                    )
                    continue
                fields["contact_phone"] = current.contact_phone
            if current is None:
                outcome, probe = CREATED, CoBuildingUnit(community=community, name=values["name"])
            elif any(getattr(current, f) != v for f, v in fields.items()):
                outcome, probe = UPDATED, copy.copy(current)
                probe.community = community  # read above: clean() then needs no query
            else:
                outcome, probe = UNCHANGED, None
            if probe is not None:
                for field, value in fields.items():
                    setattr(probe, field, value)
                try:
                    probe.full_clean(exclude=["community"], validate_unique=False)
                except ValidationError as exc:
                    report_invalid(job, sheet, row, exc, {"__all__": "agreement_ends_on"})
                    continue
            job.tallies["units"].add(outcome)
            plan.append(
                {
                    "row": row,
                    "community": community,
                    "name": values["name"],
                    "current": current,
                    "fields": fields,
                    "outcome": outcome,
                }
            )
        job.plan = plan

    def write(self, job: Job) -> None:
        total = len(job.plan)
        for position, item in enumerate(job.plan, 1):
            job.progress(position, total)
            if item["outcome"] == UNCHANGED:
                continue
            try:
                branch_services.save_unit(
                    by=job.by,
                    community=item["community"],
                    unit=item["current"],
                    name=item["name"],
                    **item["fields"],
                )
            except ValidationError as exc:
                report_invalid(job, UNITS, item["row"], exc)
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        full = full_personal(job)
        units = (
            CoBuildingUnit.objects.filter(community__path__startswith=job.area.path)
            .select_related("community")
            .defer("community__boundary")
            .order_by("community__path", "name")
        )

        def rows():
            for unit in units:
                phone = unit.contact_phone
                yield [
                    unit.community.code,
                    unit.name,
                    label(UnitKind, unit.kind),
                    unit.contact_name,
                    phone if full or not _is_mobile(phone) else mask_mobile(phone),
                    unit.agreement_signed_on,
                    unit.agreement_ends_on,
                    unit.commitments,
                ]

        return {"units": rows()}
