"""The kinds of data a district can load, by name (``import_data KIND``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from onboarding.kinds.areas import AreasKind
from onboarding.kinds.households import HouseholdsKind
from onboarding.spec import Kind

KINDS: dict[str, Kind] = {kind.name: kind for kind in (AreasKind(), HouseholdsKind())}


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationError(
            {"kind": _("Unknown kind of data: %(kind)s.") % {"kind": name}}
        ) from None
