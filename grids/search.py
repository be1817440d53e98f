"""Finding households by what people type: a name, an address, a mobile's last four digits,
or an ID number.

Each kind is answered by an index (grids migration 0008), so a search costs the same in a
grid as in the whole district:

- an ID number (18 characters, a lower-case x too) by its keyed hash (core.fields), exactly;
- four digits by ``phone_last4``, and as part of an address (a room number);
- anything else by the start of a resident's name (people type the whole name or the
  surname: a prefix index) and by any part of an address (a trigram index from three
  characters; one or two characters match the start of the address, where the same index
  cannot help).

The matches are one ``pk IN (… UNION ALL …)``, not an OR of EXISTS per household: the
planner can start from the index and join, instead of testing every household in scope.
"""

from __future__ import annotations

import re

from django.db.models import Q

from core.personal import normalize_id_number
from grids.models import Household, Resident

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
LAST4 = re.compile(r"^\d{4}$")
# pg_trgm needs three characters for a trigram: shorter text could not use the index.
TRIGRAM_MIN = 3


def household_matches(query: str) -> Q:
    """Households with a resident or an address matching ``query`` (see the module)."""
    text = query.strip()
    if not text:
        return Q()
    id_number = normalize_id_number(text)
    if ID_NUMBER.match(id_number):
        return Q(pk__in=Resident.objects.filter(id_number=id_number).values("household_id"))
    if LAST4.match(text):
        residents = Resident.objects.filter(phone_last4=text)
    else:
        residents = Resident.objects.filter(name__istartswith=text)
    if len(text) >= TRIGRAM_MIN:
        addresses = Household.objects.filter(address__icontains=text)
    else:
        addresses = Household.objects.filter(address__istartswith=text)
    # No ordering inside the union (the models' Meta.ordering would sort every match).
    return Q(
        pk__in=residents.order_by()
        .values("household_id")
        .union(addresses.order_by().values("pk"), all=True)
    )
