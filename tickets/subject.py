"""The requests a person reported, for the printout of what is held about them
(grids.privacy)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from grids.models import Resident
from grids.privacy import Section, register_subject_section
from tickets.models import Ticket


def reported_by(resident: Resident) -> QuerySet:
    """The requests ``resident`` reported: those given their mobile number. The one place that
    matches a request to a person, whatever column the number is kept in."""
    if not resident.phone:
        return Ticket.objects.none()
    return Ticket.objects.filter(reporter_phone=resident.phone)


@register_subject_section
def requests(resident: Resident, user) -> Section:
    tickets = reported_by(resident).select_related("matter").order_by("-submitted_at")
    return Section(
        title=_("Requests you reported"),
        columns=[
            _("Code"),
            _("Submitted"),
            _("Matter"),
            _("Status"),
            _("Name given"),
            _("What was reported"),
        ],
        rows=[
            [
                t.short_code,
                t.submitted_at,
                t.matter,
                t.status_label,
                t.reporter_name,
                t.description,
            ]
            for t in tickets
        ],
        note=_("Found by your mobile number, in every community of the district."),
        order=30,
    )
