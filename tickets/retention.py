"""How long a finished request keeps who reported it, and its photos (``core.retention``).

A request closed, rejected or merged before the cutoff loses its reporter's name and mobile
number (and whatever companion columns the mobile carries, ``core.retention.blanked``); the
request itself, its timeline and its figures stay for the statistics. Its photos go too.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core import retention
from tickets.models import FINAL_STATUSES, Photo, Ticket

REPORTER_FIELDS = ("reporter_name", "reporter_phone")


def _finished_before(cutoff: dt.datetime) -> Q:
    return Q(status__in=FINAL_STATUSES, closed_at__lt=cutoff)


def expired_reporters(cutoff: dt.datetime) -> QuerySet:
    return Ticket.objects.filter(_finished_before(cutoff)).filter(
        ~Q(reporter_name="") | ~Q(reporter_phone="")
    )


def purge_reporters(cutoff: dt.datetime, batch: int) -> int:
    # The version moves on: a form opened on the old row cannot write the number back.
    values = {**retention.blanked(Ticket, REPORTER_FIELDS), "version": F("version") + 1}
    return retention.in_batches(
        expired_reporters(cutoff), lambda rows: rows.update(**values), batch
    )


def expired_photos(cutoff: dt.datetime) -> QuerySet:
    return Photo.objects.filter(ticket__status__in=FINAL_STATUSES, ticket__closed_at__lt=cutoff)


def purge_photos(cutoff: dt.datetime, batch: int) -> int:
    return retention.in_batches(expired_photos(cutoff), retention.delete_photos, batch)


retention.register(
    key="tickets.reporter",
    label=_("Reporter's name and mobile on finished requests"),
    default_days=2 * 365,
    minimum_days=180,
    action=retention.Action.ANONYMISED,
    expired=expired_reporters,
    purge=purge_reporters,
    note=_(
        "Counted from the day the request was closed, rejected or merged; the request, its "
        "timeline and its rating stay."
    ),
)
retention.register(
    key="tickets.photos",
    label=_("Photos of finished requests"),
    default_days=3 * 365,
    minimum_days=180,
    action=retention.Action.REMOVED,
    expired=expired_photos,
    purge=purge_photos,
    note=_("Counted from the day the request was closed, rejected or merged."),
)
