"""Finding households by what people type: a name, an address, a mobile's last four digits,
or an ID number.

Each kind is answered by an index (grids migration 0008), so a search costs about the same
in a grid as in the whole district (1.67 M residents):

- an ID number (18 characters, a lower-case x too) by its keyed hash (core.fields), exactly;
- four digits by ``phone_last4``, and as part of an address (a room number);
- anything else by the start of a resident's name (people type the whole name or the
  surname: a prefix index, which also holds the household, so no resident row is read) and
  by any part of an address (a trigram index from three characters; one or two characters
  match the start of the address, where trigrams cannot help).

The planner cannot estimate how many households "a name or an address" matches, and the
right plan depends on it: a few hundred are fetched by id and sorted; tens of thousands (a
surname in the district) are best met by walking the list in its order until a page is
full. So the matches are read first, up to ``PROBE``: fewer, and the list is those ids;
more, and the list is filtered as it is walked.
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
# Matching households read by id at most (a page of ids costs ~10 ms); past it, the walk.
PROBE = 2000


def household_matches(query: str) -> Q:
    """Households with a resident or an address matching ``query`` (see the module); reads
    the matching ids first (one or two queries) unless ``query`` is an ID number."""
    text = query.strip()
    if not text:
        return Q()
    id_number = normalize_id_number(text)
    if ID_NUMBER.match(id_number):
        return Q(pk__in=Resident.objects.filter(id_number=id_number).values("household_id"))
    if LAST4.match(text):
        residents = Resident.objects.filter(phone_last4=text)
    else:
        residents = Resident.objects.filter(name__startswith=text)
    residents = residents.order_by().values_list("household_id", flat=True)
    if len(text) >= TRIGRAM_MIN:
        address = Q(address__icontains=text)
    else:
        address = Q(address__istartswith=text)
    dense = address | Q(pk__in=residents)
    found = list(residents[: PROBE + 1])
    if len(found) > PROBE:
        return dense
    ids = set(found)
    room = PROBE - len(ids)
    addressed = list(
        Household.objects.filter(address).order_by().values_list("pk", flat=True)[: room + 1]
    )
    if len(addressed) > room:
        return dense
    return Q(pk__in=sorted(ids.union(addressed)))
