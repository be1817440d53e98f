"""How long a resident who moved out or died keeps their personal details (``core.retention``).

Their purpose (the grid's care for the person) ends when they leave: after the period the ID
number, the mobile number, the date of birth and the care categories go (PIPL art. 47). The
name, gender, relationship and status stay, so the household's history still says who lived
there; the audit trail kept the ID and mobile masked only (``GridsConfig.ready``).

The period counts from the resident's last change (``updated_at``), which is at or after the
move or the death: never earlier than the law asks, at worst a little later. The purge writes
with ``update()``, which leaves ``updated_at`` alone.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core import retention
from grids.models import Resident, ResidentCare

PERSONAL_FIELDS = ("id_number", "phone")
GONE = (Resident.Status.MOVED_OUT, Resident.Status.DECEASED)


def expired(cutoff: dt.datetime) -> QuerySet:
    held = ~Q(id_number="") | ~Q(phone="") | Q(birth_date__isnull=False)
    return Resident.objects.filter(status__in=GONE, updated_at__lt=cutoff).filter(
        held | Exists(ResidentCare.objects.filter(resident=OuterRef("pk")))
    )


def _anonymise(rows: QuerySet) -> int:
    pks = list(rows.values_list("pk", flat=True))
    # One by one, so the audit trail records each category that went.
    for care in ResidentCare.objects.filter(resident__in=pks):
        care.delete()
    return rows.update(
        **retention.blanked(Resident, PERSONAL_FIELDS),
        birth_date=None,
        # A form opened on the old row cannot write the numbers back.
        version=F("version") + 1,
    )


def purge(cutoff: dt.datetime, batch: int) -> int:
    return retention.in_batches(expired(cutoff), _anonymise, batch)


retention.register(
    key="grids.residents_gone",
    label=_("Personal details of residents who moved out or died"),
    default_days=365,
    minimum_days=90,
    action=retention.Action.ANONYMISED,
    expired=expired,
    purge=purge,
    note=_(
        "ID number, mobile, date of birth and care categories go; the name, gender and "
        "relationship stay in the household's history."
    ),
)
