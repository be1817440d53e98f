"""A resident's points, for the printout of what is held about them (grids.privacy)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from grids.models import Resident
from grids.privacy import Section, register_subject_section
from points.models import Entry


@register_subject_section
def points(resident: Resident, user) -> Section | None:
    entries = list(
        Entry.objects.filter(account__resident=resident)
        .select_related("account__scheme")
        .order_by("-posted_at", "-pk")
    )
    if not entries:
        return None
    return Section(
        title=_("Points"),
        columns=[_("When"), _("Scheme"), _("Points"), _("Kind"), _("Note")],
        rows=[
            [e.posted_at, e.account.scheme, e.amount, e.get_kind_display(), e.note] for e in entries
        ],
        order=50,
    )
