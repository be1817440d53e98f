import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from safety.models import Category, ChecklistItem, Hazard, Patrol
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
    # A page at a time: 25 of the 50.
    assert len(response.context["hazards"]) == min(rows, 25)
    assert response.context["page"].paginator.count == rows


def _hazards(grid, n: int, severity: str = "major") -> list[Hazard]:
    place = Place.objects.create(grid=grid, name=f"仓库{severity}", kind=PlaceKind.SHOP)
    today = timezone.localdate()
    return Hazard.objects.bulk_create(
        [
            Hazard(
                place=place,
                grid=grid,
                category=Category.FIRE,
                description=f"隐患{i}",
                severity=severity,
                fix_by=today + dt.timedelta(days=i),
            )
            for i in range(n)
        ]
    )


def test_a_district_reads_its_hazards_a_page_at_a_time_with_the_filter_kept(
    client, territory, district_officer, django_assert_max_num_queries
):
    major = _hazards(territory.grid, 30)
    _hazards(territory.grid, 5, severity="minor")
    client.force_login(district_officer)
    url = reverse("safety_hazards", kwargs={"code": territory.district.code})
    response = client.get(url, {"show": "major"})
    assert response.context["page"].paginator.count == 30
    assert [h.pk for h in response.context["hazards"]] == [h.pk for h in major[:25]]
    # The next page's link keeps the filter.
    assert 'href="?show=major&amp;page=2"' in response.content.decode()
    with django_assert_max_num_queries(14):
        second = client.get(url, {"show": "major", "page": 2})
    assert second.status_code == 200
    assert [h.pk for h in second.context["hazards"]] == [h.pk for h in major[25:]]
    assert 'href="?show=major&amp;page=1"' in second.content.decode()


@pytest.mark.parametrize("rows", [1, 60])
def test_a_street_reads_its_places_a_page_at_a_time(
    client,
    territory,
    street_officer,
    own_worker,
    safety_checklists,
    rows,
    django_assert_max_num_queries,
):
    Place.objects.bulk_create(
        [Place(grid=territory.grid, name=f"店{i:02}", kind=PlaceKind.SHOP) for i in range(rows)]
    )
    patrolled = Place.objects.create(grid=territory.grid, name="已巡查", kind=PlaceKind.SHOP)
    record_patrol(by=own_worker, place=patrolled, answers=answers_for(patrolled, failed=()))
    client.force_login(street_officer)
    url = reverse("safety_places", kwargs={"code": territory.street.code})
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    # Never patrolled first, by name; the one patrolled today is due last.
    assert response.context["due"] == rows
    assert response.context["page"].paginator.count == rows + 1
    assert response.context["places"][0].name == "店00"
    if rows < 25:
        assert response.context["places"][-1] == patrolled
        assert not response.context["places"][-1].overdue
        return
    assert 'href="?page=2"' in response.content.decode()
    with django_assert_max_num_queries(12):
        last = client.get(url, {"page": 3})
    assert [p.name for p in last.context["places"]] == [f"店{i}" for i in range(50, 60)] + [
        "已巡查"
    ]
    assert last.context["places"][-1].due_on > timezone.localdate()


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
