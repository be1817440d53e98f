import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from safety.models import ChecklistItem, Hazard, Patrol
from safety.services import record_patrol
from tests.factories import jpeg
from tests.safety.fixtures import answers_for
from visits.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def _places(grid, n: int, worker, fail: bool = True) -> None:
    for i in range(n):
        place = Place.objects.create(grid=grid, name=f"店{i}", kind=PlaceKind.SHOP)
        first = ChecklistItem.objects.filter(place_kind="shop", active=True).first()
        record_patrol(
            by=worker,
            place=place,
            answers=answers_for(place, failed={first.pk} if fail else ()),
            at=timezone.now() - dt.timedelta(days=i * 3),
        )


@pytest.mark.parametrize("rows", [1, 50])
def test_lists_read_a_fixed_number_of_queries(
    client, territory, own_worker, safety_checklists, rows, django_assert_max_num_queries
):
    _places(territory.grid, rows, own_worker)
    client.force_login(own_worker)
    for name, kwargs in [
        ("safety_mine", {}),
        ("safety_places", {"code": territory.grid.code}),
        ("safety_hazards", {"code": territory.grid.code}),
    ]:
        with django_assert_max_num_queries(14):
            response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200
    assert len(response.context["hazards"]) == rows


def test_the_patrol_form_records_and_shows_the_patrol(client, place, own_worker, safety_checklists):
    items = list(ChecklistItem.objects.filter(place_kind=place.kind, active=True))
    client.force_login(own_worker)
    url = reverse("safety_patrol", kwargs={"pk": place.pk})
    assert client.get(url).status_code == 200
    data = {f"item_{i.pk}": "pass" for i in items}
    data[f"item_{items[0].pk}"] = "fail"
    # A failed item with no note and no photo stays on the form.
    response = client.post(url, data)
    assert response.status_code == 200 and not Patrol.objects.exists()
    data[f"note_{items[0].pk}"] = "灭火器过期"
    data[f"photo_{items[0].pk}"] = jpeg()
    response = client.post(url, data)
    patrol = Patrol.objects.get()
    assert response["Location"] == reverse("safety_patrol_detail", kwargs={"pk": patrol.pk})
    page = client.get(response["Location"])
    assert page.status_code == 200
    hazard = Hazard.objects.get()
    assert reverse("safety_hazard", kwargs={"pk": hazard.pk}).encode() in page.content


def test_hazard_actions_from_its_page(client, safety_hazard, own_worker):
    client.force_login(own_worker)
    url = reverse("safety_hazard", kwargs={"pk": safety_hazard.pk})
    page = client.get(url)
    assert b"139****5678" in page.content and b"13912345678" not in page.content
    client.post(reverse("safety_hazard_fixed", kwargs={"pk": safety_hazard.pk}), {"note": "已换"})
    client.post(reverse("safety_hazard_recheck", kwargs={"pk": safety_hazard.pk}), {"passed": "1"})
    safety_hazard.refresh_from_db()
    assert safety_hazard.status == Hazard.Status.CLOSED


def test_hazard_filters(client, safety_hazard, street_officer, territory):
    client.force_login(street_officer)
    url = reverse("safety_hazards", kwargs={"code": territory.street.code})
    assert len(client.get(url, {"show": "overdue"}).context["hazards"]) == 0
    assert len(client.get(url, {"show": "major"}).context["hazards"]) == 0
    assert len(client.get(url, {"show": "all"}).context["hazards"]) == 1
