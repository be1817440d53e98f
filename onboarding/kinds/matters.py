"""The catalogue of matters (事项清单), by matter code; the district's alone.

A matter names its category and (when a department owns it) its department by code; both
must already be in the catalogue. Written with ``tickets.services.save_matter``.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onboarding.kinds.support import (
    BAD,
    duplicate,
    label,
    read_row,
    report_invalid,
    usable,
    yes_no,
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
    boolean,
    number,
)
from tickets import services as ticket_services
from tickets.models import Category, Department, LimitUnit, Matter, OwnerLevel
from tickets.policy import TicketCapability

MATTERS = Sheet(
    "matters",
    "Matters",
    "事项清单",
    (
        Column(
            "code",
            "Matter code",
            "事项编码",
            required=True,
            text=True,
            example="street_light",
            help=gettext_lazy("Permanent code: lower-case letters, digits, - and _."),
        ),
        Column("name_en", "Name (English)", "英文名称", required=True, width=28),
        Column("name_zh", "Name (Chinese)", "中文名称", required=True, width=20),
        Column(
            "category",
            "Category code",
            "事项类别编码",
            required=True,
            text=True,
            example="facilities",
            help=gettext_lazy("Code of a category already in the catalogue."),
        ),
        Column(
            "department",
            "Department code",
            "责任部门编码",
            text=True,
            example="chengguan",
            help=gettext_lazy("Required when a department owns the matter."),
        ),
        Column(
            "owner_level",
            "Owned by",
            "责任层级",
            required=True,
            choices=lambda: OwnerLevel.choices,
            example="community",
            help=gettext_lazy("Grid, community, street or department."),
        ),
        Column("response_limit", "Response time limit", "响应时限", required=True, example="8"),
        Column(
            "response_unit",
            "Response unit",
            "响应时限单位",
            choices=lambda: LimitUnit.choices,
            example="hours",
            help=gettext_lazy("Empty: hours."),
        ),
        Column("completion_limit", "Completion time limit", "办结时限", required=True, example="3"),
        Column(
            "completion_unit",
            "Completion unit",
            "办结时限单位",
            choices=lambda: LimitUnit.choices,
            example="working_days",
            help=gettext_lazy("Empty: working days."),
        ),
        Column(
            "photo_required",
            "Photo required",
            "办结需上传照片",
            help=gettext_lazy("Yes or no; empty: no."),
        ),
        Column(
            "escalate_after_hours",
            "Escalate after (hours overdue)",
            "超时上报（小时）",
            example="24",
            help=gettext_lazy("Empty: 24."),
        ),
        Column(
            "earns_points",
            "Earns points",
            "办结计积分",
            help=gettext_lazy("Yes or no; empty: no."),
        ),
        Column("active", "Active", "是否启用", help=gettext_lazy("Yes or no; empty: yes.")),
    ),
)
FIELDS = (
    "name_en",
    "name_zh",
    "category",
    "department",
    "owner_level",
    "response_limit",
    "response_unit",
    "completion_limit",
    "completion_unit",
    "photo_required",
    "escalate_after_hours",
    "earns_points",
    "active",
)
DEFAULTS = {
    "response_unit": LimitUnit.HOURS,
    "completion_unit": LimitUnit.WORKING_DAYS,
    "photo_required": False,
    "escalate_after_hours": 24,
    "earns_points": False,
    "active": True,
}


def _whole(text: str) -> int | None:
    value = number(text, low=1, high=32767)
    if value is None:
        return None
    if not value.is_integer():
        raise CellError(_("Write a whole number."))
    return int(value)


class MattersKind(Kind):
    name = "matters"
    capability = TicketCapability.MANAGE_CATALOGUE
    label = gettext_lazy("Catalogue of matters")
    sheets = (MATTERS,)
    district_only = True
    notes = (
        gettext_lazy(
            "One row per matter. A known code updates that matter. Categories and "
            "departments are named by their codes and must already be in the catalogue. "
            "Matters are never deleted by an import: mark a retired one as not active."
        ),
    )

    def check(self, job: Job) -> None:
        sheet = MATTERS
        parsers = {
            "code": None,
            "name_en": None,
            "name_zh": None,
            "category": None,
            "department": None,
            "owner_level": None,
            "response_limit": _whole,
            "response_unit": None,
            "completion_limit": _whole,
            "completion_unit": None,
            "photo_required": boolean,
            "escalate_after_hours": _whole,
            "earns_points": boolean,
            "active": boolean,
        }
        read = [read_row(job, sheet, row, parsers) for row in job.rows.get("matters", [])]
        categories = {c.code: c for c in Category.objects.all()}
        departments = {d.code: d for d in Department.objects.all()}
        existing = {
            m.code: m
            for m in Matter.objects.filter(
                code__in={v["code"] for v in read if v["code"] is not BAD}
            )
        }
        plan: list[dict] = []
        seen: dict = {}
        for values in read:
            row = values["row"]
            for key, known in (("category", categories), ("department", departments)):
                code = values[key]
                if code and code is not BAD:
                    values[key] = known.get(code, BAD)
                    if values[key] is BAD:
                        job.report.cell(
                            sheet,
                            row,
                            key,
                            _("No category has this code.")
                            if key == "category"
                            else _("No department has this code."),
                        )
                elif not code:
                    values[key] = None
            code = values["code"]
            if code is not BAD and duplicate(job, sheet, row, "code", seen, code):
                continue
            if not usable(values):
                continue
            fields = {}
            for field in FIELDS:
                value = values[field]
                fields[field] = (
                    DEFAULTS[field] if value in (None, "") and field in DEFAULTS else value
                )
            current = existing.get(code)
            if current is None:
                outcome, probe = CREATED, Matter(code=code)
            elif _differs(current, fields):
                outcome, probe = UPDATED, copy.copy(current)
            else:
                outcome, probe = UNCHANGED, None
            if probe is not None:
                for field, value in fields.items():
                    setattr(probe, field, value)
                try:
                    probe.full_clean(
                        exclude=["category", "department"],
                        validate_unique=False,
                        validate_constraints=False,
                    )
                except ValidationError as exc:
                    report_invalid(job, sheet, row, exc)
                    continue
            job.tallies["matters"].add(outcome)
            plan.append(
                {"row": row, "code": code, "current": current, "fields": fields, "outcome": outcome}
            )
        job.plan = plan

    def write(self, job: Job) -> None:
        total = len(job.plan)
        for position, item in enumerate(job.plan, 1):
            job.progress(position, total)
            if item["outcome"] == UNCHANGED:
                continue
            try:
                ticket_services.save_matter(
                    by=job.by,
                    district=job.area,
                    code=item["code"],
                    matter=item["current"],
                    **item["fields"],
                )
            except ValidationError as exc:
                report_invalid(job, MATTERS, item["row"], exc)
        if job.report:  # roll the whole import back
            raise ValidationError(_("Some rows could not be written; nothing was imported."))

    def export(self, job: Job):
        matters = Matter.objects.select_related("category", "department").order_by(
            "category__order", "code"
        )

        def rows():
            for matter in matters:
                yield [
                    matter.code,
                    matter.name_en,
                    matter.name_zh,
                    matter.category.code,
                    matter.department.code if matter.department else "",
                    label(OwnerLevel, matter.owner_level),
                    matter.response_limit,
                    label(LimitUnit, matter.response_unit),
                    matter.completion_limit,
                    label(LimitUnit, matter.completion_unit),
                    yes_no(job, matter.photo_required),
                    matter.escalate_after_hours,
                    yes_no(job, matter.earns_points),
                    yes_no(job, matter.active),
                ]

        return {"matters": rows()}


def _differs(matter: Matter, fields: dict) -> bool:
    for field, value in fields.items():
        if field in ("category", "department"):  # by id: no query per matter
            if getattr(matter, f"{field}_id") != (value.pk if value else None):
                return True
        elif getattr(matter, field) != value:
            return True
    return False
