"""The points of an area's members for the annual appraisal (评优评先), as Excel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from branches.models import PartyMember
from core.exports import xlsx_response
from core.replica import reads_from_replica
from grids.access import area_or_404
from grids.policy import TerritoryCapability
from points import selectors
from points.models import Scheme
from points.views.common import period_asked


@login_required
@reads_from_replica()
def export(request, code):
    """The period's points per member for the annual appraisal (评优评先), as Excel."""
    from openpyxl import Workbook

    area = area_or_404(request.user, code, TerritoryCapability.EXPORT)
    period = period_asked(request)
    scheme = (
        Scheme.objects.filter(active=True, audience=Scheme.Audience.MEMBERS)
        .order_by("code")
        .first()
    )
    members = PartyMember.objects.visible_to(request.user).filter(
        community__path__startswith=area.path
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=period.key)
    sheet.append(
        [
            _("Points per party member: %(area)s, %(period)s")
            % {"area": area.name, "period": period.label}
        ]
    )
    sheet.append(
        [
            _("Community"),
            _("Branch"),
            _("Name"),
            _("Kind"),
            _("Work unit"),
            _("Points counted"),
            _("Verified services"),
            _("Annual minimum met"),
        ]
    )
    for row in selectors.appraisal_rows(members=members, scheme=scheme, period=period).iterator(
        chunk_size=2000
    ):
        sheet.append(
            [
                row.community.name,
                row.branch.name if row.branch else "",
                row.name,
                row.get_kind_display(),
                row.work_unit,
                row.n_points,
                row.n_services,
                _("yes") if row.minimum_met else _("no"),
            ]
        )
    return xlsx_response(book, f"points-{area.code}-{period.key}.xlsx")
