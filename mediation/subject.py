"""Disputes a person is a party to, for the printout of what is held about them
(grids.privacy)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from grids.models import Resident
from grids.privacy import Section, register_subject_section
from mediation.models import Party


@register_subject_section
def disputes(resident: Resident, user) -> Section | None:
    match = Q(resident=resident)
    if resident.phone:
        match |= Q(phone=resident.phone)
    parties = list(Party.objects.filter(match).select_related("case").order_by("-case__opened_at"))
    if not parties:
        return None
    return Section(
        title=_("Disputes you are a party to"),
        columns=[_("Opened"), _("Type of dispute"), _("Your part"), _("Status"), _("Summary")],
        rows=[
            [
                p.case.opened_at,
                p.case.get_type_display(),
                p.get_role_display(),
                p.case.get_status_display(),
                p.case.summary,
            ]
            for p in parties
        ],
        order=60,
    )
