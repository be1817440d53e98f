"""The district sets the scheme on its page: each change a new version from a month on, never
a month already published; weight 0 retires an item."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.models import SchemeItem
from tests.appraisal.fixtures import MONTH, at

DECEMBER = dt.date(2026, 12, 1)
URL = "/appraisal/scheme/"


@pytest.fixture
def in_november(time_machine):
    time_machine.move_to(at(10), tick=False)


def _change(by, code="visits", valid_from=DECEMBER, **changes):
    fields = {
        "name_en": "visits",
        "name_zh": "visits",
        "figure": "visits_share",
        "weight": 30,
        "full_marks_at": Decimal("0.9"),
        "position": 0,
        **changes,
    }
    return services.set_scheme_item(by=by, code=code, valid_from=valid_from, **fields)


def _weights(month):
    return {i.code: i.weight for i in SchemeItem.objects.in_force(month)}


def test_a_change_is_the_next_version_from_its_month_on(scheme, district_officer, in_november):
    item = _change(district_officer, weight=40)
    assert (item.version, item.valid_from, item.created_by) == (2, DECEMBER, district_officer)
    assert _weights(MONTH)["visits"] == 30
    assert _weights(DECEMBER)["visits"] == 40
    # A new code is a new item, version 1.
    added = _change(district_officer, code="patrols", name_en="Patrols", weight=5)
    assert added.version == 1 and "patrols" in _weights(DECEMBER)


def test_weight_zero_retires_an_item_from_its_month_on(scheme, district_officer, in_november):
    _change(district_officer, code="rating", figure="rating", weight=0, full_marks_at=5)
    assert "rating" in _weights(MONTH)
    assert "rating" not in _weights(DECEMBER)


def test_a_published_month_is_never_changed(
    territory, scorecard, street_officer, district_officer, in_november
):
    # Nothing of November published yet: November itself may still change.
    assert services.earliest_change() == MONTH
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    assert services.earliest_change() == DECEMBER
    with pytest.raises(ValidationError) as refused:
        _change(district_officer, valid_from=MONTH, weight=40)
    assert "published" in str(refused.value.message_dict["valid_from"])
    assert SchemeItem.objects.filter(code="visits").count() == 1
    assert _change(district_officer, weight=40).valid_from == DECEMBER


@pytest.mark.parametrize(
    ("valid_from", "changes", "field"),
    [
        (dt.date(2026, 10, 1), {"weight": 40}, "valid_from"),  # a past month
        (dt.date(2026, 12, 15), {"weight": 40}, "valid_from"),  # not a month's first day
        (DECEMBER, {}, "__all__"),  # nothing changed
        (DECEMBER, {"full_marks_at": Decimal(0)}, "full_marks_at"),
    ],
)
def test_bad_changes_are_refused_with_a_clear_error(
    scheme, district_officer, in_november, valid_from, changes, field
):
    with pytest.raises(ValidationError) as refused:
        _change(district_officer, valid_from=valid_from, **changes)
    assert field in refused.value.message_dict
    assert SchemeItem.objects.filter(code="visits").count() == 1


def test_one_version_per_item_and_month_and_no_new_item_at_weight_zero(
    scheme, district_officer, in_november
):
    _change(district_officer, weight=40)
    with pytest.raises(ValidationError, match="already has a version"):
        _change(district_officer, weight=45)
    with pytest.raises(ValidationError, match="needs a weight"):
        _change(district_officer, code="new-item", weight=0)


def test_only_the_district_sets_the_scheme(scheme, street_officer, own_worker, in_november):
    for user in (street_officer, own_worker):
        with pytest.raises(PermissionDenied):
            _change(user, weight=40)


def test_the_district_reads_and_changes_the_scheme_on_its_page(
    client, scheme, district_officer, in_november, django_assert_max_num_queries
):
    client.force_login(district_officer)
    with django_assert_max_num_queries(10):
        page = client.get(URL, {"item": "visits"})
    assert page.status_code == 200
    assert page.context["total"] == 100
    assert page.context["form"].initial["weight"] == 30
    html = page.content.decode()
    assert "Households of your grid you visited this month" in html  # the definition
    assert "not 100" not in html
    response = client.post(
        URL,
        {
            "code": "visits",
            "valid_from": "2026-12-01",
            "name_en": "Visits",
            "name_zh": "走访完成率",
            "figure": "visits_share",
            "weight": 40,
            "full_marks_at": "0.9",
            "position": 0,
        },
    )
    assert response.status_code == 302
    page = client.get(URL)
    # November stays at 100; December adds up to 110, and the page says so.
    assert page.context["total"] == 100
    assert [(m["month"], m["total"]) for m in page.context["upcoming"]] == [(DECEMBER, 110)]
    assert "Total 110 points" in page.content.decode()


def test_a_refused_change_shows_its_error_and_changes_nothing(
    client, scheme, district_officer, in_november
):
    client.force_login(district_officer)
    response = client.post(URL, {"code": "visits", "valid_from": "2026-10-01", "weight": 40})
    assert response.status_code == 200
    assert response.context["form"].errors["valid_from"]
    assert SchemeItem.objects.filter(code="visits").count() == 1


def test_the_scheme_page_is_the_districts_and_only_it_sees_the_link(
    client, territory, scheme, district_officer, street_officer, own_worker
):
    ranking = reverse("appraisal_ranking_month", args=[territory.street.code, 2026, 11])
    for user in (street_officer, own_worker):
        client.force_login(user)
        assert client.get(URL).status_code == 404
    client.force_login(street_officer)
    assert URL not in client.get(ranking).content.decode()
    client.force_login(district_officer)
    assert URL in client.get(ranking).content.decode()
    assert (
        URL in client.get(reverse("area_detail", args=[territory.district.code])).content.decode()
    )
