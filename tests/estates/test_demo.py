"""The demo's 红色物业 in QH-S01-C01: companies over estates, two published half-year lists,
requests routed to the companies."""

import pytest

from estates.models import Company, Estate, PublishedList
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_companies_estates_published_lists_and_their_requests(demo):
    assert Company.objects.count() >= 4
    assert Estate.objects.filter(company__isnull=True).exists()  # one self-managed
    assert Estate.objects.filter(company__isnull=False).count() >= 6
    assert PublishedList.objects.count() >= 2
    routed = Ticket.objects.filter(department__in=Company.objects.values("department"))
    assert routed.count() >= 10
    assert routed.filter(rating__isnull=False).exists()
