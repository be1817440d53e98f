"""Visits to a person's household, for the printout of what is held about them
(grids.privacy)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from grids.models import Resident
from grids.privacy import Section, register_subject_section
from visits.models import Visit


@register_subject_section
def visits(resident: Resident, user) -> Section:
    rows = (
        Visit.objects.filter(household_id=resident.household_id)
        .select_related("by")
        .order_by("-visited_at", "-pk")
    )
    return Section(
        title=_("Visits to your household"),
        columns=[_("When"), _("Kind"), _("Visited by"), _("People met"), _("What was found")],
        rows=[[v.visited_at, v.get_kind_display(), v.by, v.people_met, v.findings] for v in rows],
        note=_("Visits are recorded for the household as a whole."),
        order=20,
    )
