"""The kinds of data a district can load, by name (``import_data KIND``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from grids.policy import TerritoryCapability
from grids.services import require
from onboarding.kinds.areas import AreasKind
from onboarding.kinds.boundaries import BoundariesKind
from onboarding.kinds.branches import BranchesKind
from onboarding.kinds.households import HouseholdsKind
from onboarding.kinds.matters import MattersKind
from onboarding.kinds.members import MembersKind
from onboarding.kinds.staff import StaffKind
from onboarding.kinds.stations import StationsKind
from onboarding.kinds.units import UnitsKind
from onboarding.spec import Kind

# In the order a district loads them: the territory, then people, then organisations.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        AreasKind(),
        BoundariesKind(),
        HouseholdsKind(),
        StaffKind(),
        MembersKind(),
        BranchesKind(),
        StationsKind(),
        UnitsKind(),
        MattersKind(),
    )
}


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationError(
            {"kind": _("Unknown kind of data: %(kind)s.") % {"kind": name}}
        ) from None


def allowed(by, area, kind: Kind) -> None:
    """Refuse (PermissionDenied) unless ``by`` may load ``kind`` into ``area``: import data
    there, and hold the owning app's capability for that data (``Kind.capability``)."""
    require(by, TerritoryCapability.IMPORT_DATA, area)
    if kind.capability:
        require(by, kind.capability, area)
    if kind.district_only and area.depth != 1:
        raise PermissionDenied(_("This kind of data is kept for the whole district."))
