"""PIPL in the territory: the district's retention periods (``core.retention``) and a person's
own data (subject access, PIPL art. 45).

A resident asks their community what is held about them; an officer allowed to see their full
details prints it from the household page. Grids writes the person's own fields, household
and care categories; the apps to its right add what they hold about the person through
``register_subject_section`` in their ``subject.py`` (imported by ``GridsConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core import retention
from core.models import RetentionPolicy
from grids.models import Resident
from grids.policy import TerritoryCapability
from grids.scope import can, scope_paths
from grids.services import log_personal_access

# --- Second factor ---------------------------------------------------------------------------


def needs_second_factor(user) -> bool:
    """Whoever may see personal data in full or export lists of it must have a second factor
    (PIPL art. 51, 等保 level 3: two kinds of authentication for sensitive operations).
    Registered with ``accounts.twofactor.require_when`` by ``GridsConfig.ready``."""
    if not settings.SECOND_FACTOR_FOR_PERSONAL_DATA:
        return False
    return any(
        scope_paths(user, capability) != []
        for capability in (TerritoryCapability.REVEAL_PERSONAL, TerritoryCapability.EXPORT)
    )


# --- Retention periods -----------------------------------------------------------------------


def may_set_retention(user) -> bool:
    return scope_paths(user, TerritoryCapability.SET_RETENTION) != []


@transaction.atomic
def set_retention(*, by, periods: Mapping[str, int]) -> list[str]:
    """Keep each kind of record ``periods[key]`` days; the keys whose period changed.

    Every period is checked against its kind's floor before any is saved: a refused one lands
    on its own field, keyed by the kind."""
    if not may_set_retention(by):
        raise PermissionDenied
    errors = {}
    for key, days in periods.items():
        try:
            retention.validate_days(key, days)
        except ValidationError as error:
            errors[key] = error.message_dict["days"]
    if errors:
        raise ValidationError(errors)
    current = retention.configured_days()
    changed = []
    for key, days in periods.items():
        if current[key] == days:
            continue
        policy = RetentionPolicy.objects.filter(kind=key).first() or RetentionPolicy(kind=key)
        policy.days = days
        policy.full_clean()
        policy.save()
        changed.append(key)
    return changed


# --- Subject access ----------------------------------------------------------------------------

SUBJECT_ACCESS = "subject_access"
# What the printout shows in full; the audit entry names them.
SUBJECT_FIELDS = ("id_number", "phone")


@dataclass
class Section:
    """One part of the printout: a title, column headings and rows of cells (text)."""

    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    # Said under the table: how the records were matched to the person, what is left out.
    note: str = ""
    order: int = 100

    @property
    def labelled_rows(self) -> list[list[tuple[str, object]]]:
        """Each cell with its column's heading (a narrow screen shows it beside the value)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]


SectionMaker = Callable[[Resident, object], Section | None]
_sections: list[SectionMaker] = []


def register_subject_section(maker: SectionMaker) -> SectionMaker:
    """``maker(resident, user)`` gives the section its app holds about the person, or None
    when there is nothing to say (an app with no records of the kind at all)."""
    _sections.append(maker)
    return maker


def subject_sections(resident: Resident, user) -> list[Section]:
    made = (maker(resident, user) for maker in _sections)
    return sorted((section for section in made if section is not None), key=lambda s: s.order)


def may_print_subject_access(user, resident: Resident) -> bool:
    return can(user, TerritoryCapability.REVEAL_PERSONAL, resident.household.area)


@transaction.atomic
def record_subject_access(*, by, resident: Resident, remote_addr: str | None = None) -> None:
    """The audit entry of a printout: ``by`` saw the person's full details, for the person."""
    if not may_print_subject_access(by, resident):
        raise PermissionDenied
    log_personal_access(by, resident, list(SUBJECT_FIELDS), remote_addr, reason=SUBJECT_ACCESS)
