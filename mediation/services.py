"""Writes of mediation cases: open, add a party, record a step, raise the risk, close, follow up.

Every write checks ``RECORD_MEDIATION`` at the case's grid, validates the row and runs in one
transaction. A high-risk case is reported up at once: the community and street staff over its
grid are notified (delivered after commit) and the report is on the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import save_if_unchanged
from core.images import clean_image
from grids.models import Area, Household, Resident
from grids.roles import Role
from grids.selectors import holders_above
from mediation.models import Case, Party, Risk, Status, Step, Studio
from mediation.policy import may_record
from notifications.models import NoticeKind
from notifications.notify import notify

# Who hears of a high-risk dispute at once: the officers over the grid.
REPORTED_TO = (Role.COMMUNITY_STAFF, Role.STREET_STAFF)


def _require(by, grid: Area) -> None:
    if not may_record(by, grid):
        raise PermissionDenied


def report_up(*, case: Case, by) -> int:
    """Tell the community and street staff over the case's grid of a high-risk dispute, once
    per case (the notification key makes a second report a no-op)."""
    users = holders_above(case.grid, REPORTED_TO)
    recipients = list(users)
    told = notify(
        kind=NoticeKind.HIGH_RISK_DISPUTE,
        recipients=recipients,
        subject=case,
        params={"case": case.pk, "grid": case.grid.name, "type": case.type},
        urgent=True,
        actor=by,
    )
    LogEntry.objects.log_create(
        case,
        action=LogEntry.Action.UPDATE,
        force_log=True,
        actor=by,
        changes={"reported_up": [None, sorted(u.username for u in recipients)]},
    )
    return told


@transaction.atomic
def open_case(
    *,
    by,
    grid: Area,
    type: str,
    risk: str,
    summary: str,
    household: Household | None = None,
    mediator=None,
    studio: Studio | None = None,
    opened_at: dt.datetime | None = None,
) -> Case:
    _require(by, grid)
    case = Case(
        grid=grid,
        household=household,
        type=type,
        risk=risk,
        summary=summary.strip(),
        opened_by=by,
        mediator=mediator if mediator is not None or studio is not None else by,
        studio=studio,
        opened_at=opened_at or timezone.now(),
    )
    case.full_clean()
    case.save()
    if case.risk == Risk.HIGH:
        report_up(case=case, by=by)
    return case


@transaction.atomic
def add_party(
    *,
    by,
    case: Case,
    role: str,
    name: str,
    phone: str = "",
    resident: Resident | None = None,
) -> Party:
    _require(by, case.grid)
    if resident is not None:
        # A resident's own record is the source of their name and number.
        name = name.strip() or resident.name
        phone = phone or resident.phone
    party = Party(case=case, role=role, name=name.strip(), phone=phone, resident=resident)
    party.full_clean()
    party.save()
    return party


@transaction.atomic
def record_step(*, by, case: Case, date: dt.date, kind: str, notes: str) -> Step:
    _require(by, case.grid)
    if case.is_closed:
        raise ValidationError(_("The case is closed."))
    step = Step(case=case, date=date, kind=kind, notes=notes.strip(), by=by)
    step.full_clean()
    step.save()
    if case.status == Status.OPEN:
        Case.objects.filter(pk=case.pk).update(status=Status.MEDIATING)
        case.status = Status.MEDIATING
    return step


@transaction.atomic
def set_risk(*, by, case: Case, risk: str, version: int | None = None) -> Case:
    """Change the risk level; raising it to high reports the case up at once."""
    _require(by, case.grid)
    was = case.risk
    case.risk = risk
    case.full_clean()
    save_if_unchanged(case, version, ["risk"])
    if risk == Risk.HIGH and was != Risk.HIGH:
        report_up(case=case, by=by)
    return case


@transaction.atomic
def close_case(
    *,
    by,
    case: Case,
    outcome: str,
    agreement_text: str = "",
    referred_to: str = "",
    signed_copy=None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    _require(by, case.grid)
    if case.is_closed:
        raise ValidationError(_("The case is already closed."))
    case.close(
        outcome=outcome, by=by, agreement_text=agreement_text, referred_to=referred_to, now=now
    )
    case.full_clean(exclude=["signed_copy"])
    fields = ["status", "outcome", "agreement_text", "referred_to", "closed_at", "closed_by"]
    fields.append("follow_up_due")
    if signed_copy:
        content = clean_image(signed_copy)
        case.signed_copy.save(content.name, content, save=False)
        fields.append("signed_copy")
    save_if_unchanged(case, version, fields)
    return case


@transaction.atomic
def record_follow_up(
    *, by, case: Case, notes: str, people_met: str = "", visited_at: dt.datetime | None = None
) -> Case:
    """The follow-up visit after a closed case: a mediation visit to the case's household
    (visits.services.log_visit) when it has one; a note otherwise."""
    from visits.models import VisitKind
    from visits.services import log_visit

    _require(by, case.grid)
    if not case.is_closed:
        raise ValidationError(_("Close the case before following it up."))
    if case.followed_up_at is not None:
        raise ValidationError(_("The case is already followed up."))
    if not notes.strip():
        raise ValidationError({"notes": _("Say how things stand now.")})
    if case.household is not None:
        logged = log_visit(
            by=by,
            client_id=uuid.uuid4(),
            kind=VisitKind.MEDIATION,
            household=case.household,
            people_met=people_met,
            findings=notes,
            visited_at=visited_at,
        )
        case.follow_up_visit = logged.visit
    case.followed_up_at = visited_at or timezone.now()
    case.follow_up_notes = notes.strip()
    save_if_unchanged(case, None, ["follow_up_visit", "followed_up_at", "follow_up_notes"])
    return case
