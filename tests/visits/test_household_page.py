"""What the visits app adds to the household page through grids' registries."""

import uuid

import pytest
from django.urls import reverse

from visits.models import VisitKind
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def test_those_who_visit_get_the_button_and_everyone_the_visits(
    own_worker, street_officer, household, client
):
    page = reverse("household_detail", kwargs={"pk": household.pk})
    form = reverse("visit_household", kwargs={"pk": household.pk})
    client.force_login(own_worker)
    response = client.get(page)
    assert form in response.content.decode()
    # No visit yet: the section is there and says so.
    assert [rows for _title, template, rows in response.context["panels"]] == [[]]
    log_visit(by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.ROUTINE, household=household)
    client.force_login(street_officer)
    response = client.get(page)
    assert form not in response.content.decode()
    ((_title, template, rows),) = response.context["panels"]
    assert template == "visits/_household_visits.html" and len(rows) == 1
