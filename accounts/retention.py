"""How long the sign-in history is kept (``core.retention``): six months at least, the floor
the law sets for network logs (网络安全法 art. 21). The daily ``purge_signins`` job reads the
same period."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.signin_models import SignIn
from accounts.signins import KEEP_DAYS
from core import retention

KEY = "accounts.signins"


def expired(cutoff: dt.datetime) -> QuerySet:
    return SignIn.objects.filter(at__lt=cutoff)


def purge(cutoff: dt.datetime, batch: int) -> int:
    return retention.in_batches(expired(cutoff), lambda rows: rows.delete()[0], batch)


retention.register(
    key=KEY,
    label=_("Sign-in history"),
    default_days=KEEP_DAYS,
    minimum_days=KEEP_DAYS,
    action=retention.Action.REMOVED,
    expired=expired,
    purge=purge,
    note=_("Sign-ins and refused attempts, with their address and browser."),
)
