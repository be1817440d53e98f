"""How long the photos of a visit or patrol are kept (``core.retention``): the visit itself
and its notes stay, as the work record of the grid."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core import retention
from visits.models import VisitPhoto


def expired_photos(cutoff: dt.datetime) -> QuerySet:
    return VisitPhoto.objects.filter(visit__visited_at__lt=cutoff)


def purge_photos(cutoff: dt.datetime, batch: int) -> int:
    return retention.in_batches(expired_photos(cutoff), retention.delete_photos, batch)


retention.register(
    key="visits.photos",
    label=_("Visit and patrol photos"),
    default_days=3 * 365,
    minimum_days=365,
    action=retention.Action.REMOVED,
    expired=expired_photos,
    purge=purge_photos,
    note=_("Counted from the day of the visit; the visit and its notes stay."),
)
