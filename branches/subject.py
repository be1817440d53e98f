"""A person's party membership, for the printout of what is held about them (grids.privacy)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from branches.models import PartyMember
from grids.models import Resident
from grids.privacy import Section, register_subject_section


def members_for(resident: Resident):
    """The member records of ``resident``: by mobile number, or by name in their household."""
    match = Q(household_id=resident.household_id, name=resident.name)
    if resident.phone:
        match |= Q(phone=resident.phone)
    return PartyMember.objects.filter(match)


@register_subject_section
def membership(resident: Resident, user) -> Section | None:
    members = list(
        members_for(resident).select_related("branch", "community", "party_group").order_by("pk")
    )
    if not members:
        return None  # most residents are not members: no empty section about the party
    return Section(
        title=_("Party membership"),
        columns=[_("Name"), _("Mobile"), _("Kind"), _("Community"), _("Branch"), _("Work unit")],
        rows=[
            [
                m.name,
                m.phone,
                m.get_kind_display(),
                m.community.name,
                m.branch.name if m.branch else None,
                m.work_unit,
            ]
            for m in members
        ],
        order=40,
    )
