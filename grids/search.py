"""Finding households by what people type: a name, an address, a mobile's last four digits,
or an ID number.

Each kind is answered by an index (grids migration 0008), so a search costs about the same
in a grid as in the whole district (1.67 M residents):

- an ID number (18 characters, a lower-case x too) by its keyed hash (core.fields), exactly;
- four digits by ``phone_last4``, and as part of an address (a room number);
- anything else by the start of a resident's name (people type the whole name or the
  surname: a prefix index, which also holds the household, so no resident row is read) and
  by any part of an address (a trigram index from three characters; one or two characters
  match the start of the address, which the same index answers).

The planner cannot estimate how many households "a name or an address" matches, and the
right plan depends on it: a few hundred are fetched by id and sorted; tens of thousands (a
surname in the district) are best met by walking the list in its order, testing each
household, until a page is full. So the matches are read first, up to ``PROBE``: fewer, and
the list is those ids (and in the whole district their number is the count); more, and the
list is filtered as it is walked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from core.personal import normalize_id_number
from grids.models import Household, Resident

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
LAST4 = re.compile(r"^\d{4}$")
# pg_trgm needs three characters for a trigram inside the text; the start of an address is
# padded, so one or two characters search the start through the same index.
TRIGRAM_MIN = 3
# Matching households read by id at most (a page of ids costs ~10 ms); past it, the walk.
PROBE = 2000


class ProbedExists(Exists):
    """EXISTS tested household by household through the (household, name) index.

    Under an OR, PostgreSQL may instead hash the whole subquery first (every resident named
    张 in the district, 39,000 rows read from the heap) to test the few hundred households a
    page walks; it picks that from the row count of the whole walk, not of the page. An
    OFFSET keeps it from turning EXISTS into a hashed IN.
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"


@dataclass(frozen=True)
class Matches:
    q: Q
    # Households matching in the whole district, when there are at most PROBE (else None).
    households: int | None


def find_households(query: str) -> Matches:
    """Households with a resident or an address matching ``query`` (see the module); reads
    the matching ids first (one or two queries) unless ``query`` is an ID number."""
    text = query.strip()
    if not text:
        return Matches(Q(), None)
    id_number = normalize_id_number(text)
    if ID_NUMBER.match(id_number):
        residents = Resident.objects.filter(id_number=id_number)
        return Matches(Q(pk__in=residents.values("household_id")), None)
    if LAST4.match(text):
        residents = Resident.objects.filter(phone_last4=text)
    else:
        residents = Resident.objects.filter(name__startswith=text)
    if len(text) >= TRIGRAM_MIN:
        address = Q(address__icontains=text)
    else:
        address = Q(address__istartswith=text)
    found = list(residents.order_by().values_list("household_id", flat=True)[: PROBE + 1])
    ids = set(found)
    if len(found) <= PROBE:
        room = PROBE - len(ids)
        addressed = list(
            Household.objects.filter(address).order_by().values_list("pk", flat=True)[: room + 1]
        )
        if len(addressed) <= room:
            ids.update(addressed)
            return Matches(Q(pk__in=sorted(ids)), len(ids))
    return Matches(address | ProbedExists(residents.filter(household=OuterRef("pk"))), None)


def household_matches(query: str) -> Q:
    return find_households(query).q


def find_residents(query: str) -> Q:
    """Residents matching ``query``, by the same rules as households: an ID number exactly,
    four digits as a mobile's last four, and otherwise the start of the name; and, but for an
    ID number, every resident of a household whose address matches (a room number, a
    building). The matching households are read by id first, up to ``PROBE``, for the reason
    the module gives; past it they are a subquery."""
    text = query.strip()
    if not text:
        return Q()
    id_number = normalize_id_number(text)
    if ID_NUMBER.match(id_number):
        return Q(id_number=id_number)
    person = Q(phone_last4=text) if LAST4.match(text) else Q(name__startswith=text)
    if len(text) >= TRIGRAM_MIN:
        address = Household.objects.filter(address__icontains=text)
    else:
        address = Household.objects.filter(address__istartswith=text)
    found = list(address.order_by().values_list("pk", flat=True)[: PROBE + 1])
    if len(found) <= PROBE:
        return person | Q(household__in=found)
    return person | Q(household__in=address.values("pk"))
