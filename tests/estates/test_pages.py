"""The pages: an area's estates in a constant number of queries, the rating form on a phone,
the street's publish button, the residents' public list."""

import pytest
from django.urls import reverse

from estates import services
from estates.models import Company, Estate, PartyOrg, Rating
from tests.estates.fixtures import PERIOD

pytestmark = pytest.mark.django_db


def _estates(territory, n: int) -> None:
    for i in range(n):
        company = Company.objects.create(
            name=f"物业{i}", credit_code=f"91320412MA1XY{i:05d}", party_org=PartyOrg.JOINT
        )
        estate = Estate.objects.create(
            name=f"小区{i}", community=territory.community, company=company
        )
        estate.grids.add(territory.grid)


@pytest.mark.parametrize("n", [1, 50])
def test_the_area_page_reads_a_constant_number_of_queries(
    client, territory, street_officer, n, django_assert_max_num_queries
):
    _estates(territory, n)
    client.force_login(street_officer)
    client.get(reverse("estates_area", args=[territory.community.code]))  # warm the caches
    with django_assert_max_num_queries(12):
        page = client.get(reverse("estates_area", args=[territory.community.code]))
    assert page.content.decode().count("data-estate=") == min(n, 25)
    assert page.content.decode().count("data-company=") == min(n, 25)


def test_a_district_reads_its_estates_and_companies_a_page_at_a_time(
    client, territory, district_officer, django_assert_max_num_queries
):
    _estates(territory, 30)
    # One company serves ten more estates: they are named on its row, not paged away.
    big = Company.objects.get(name="物业0")
    for i in range(10):
        Estate.objects.create(name=f"大区{i:02}", community=territory.other_community, company=big)
    client.force_login(district_officer)
    url = reverse("estates_area", args=[territory.district.code])
    first = client.get(url)
    body = first.content.decode()
    assert first.context["estate_page"].paginator.count == 40
    assert first.context["company_page"].paginator.count == 30
    assert 'href="?page=2"' in body
    assert 'href="?company_page=2"' in body
    row = next(r for r in first.context["companies"] if r["company"] == big)
    assert len(row["estates"]) == 11
    with django_assert_max_num_queries(12):
        second = client.get(url, {"page": 2, "company_page": 2})
    body = second.content.decode()
    assert body.count("data-estate=") == 15
    assert body.count("data-company=") == 5
    # Each pager keeps the other's page.
    assert 'href="?company_page=2&amp;page=1"' in body
    assert 'href="?page=2&amp;company_page=1"' in body
    shown = {e.name for e in first.context["estates"]} | {e.name for e in second.context["estates"]}
    assert len(shown) == 40


@pytest.mark.parametrize("n", [1, 50])
def test_the_lists_page_reads_a_constant_number_of_queries(
    client, territory, street_officer, community_officer, standard, n, django_assert_max_num_queries
):
    from tests.estates.fixtures import full_scores

    _estates(territory, n)
    for company in Company.objects.all():
        services.record_rating(
            by=community_officer,
            company=company,
            community=territory.community,
            period=PERIOD,
            scores=full_scores(standard),
            submit=True,
        )
    services.publish_list(by=street_officer, area=territory.street, period=PERIOD)
    client.force_login(street_officer)
    url = reverse("estates_lists", args=[territory.street.code])
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert f'data-published="{PERIOD}"' in page


def test_the_community_rates_from_the_form(client, company, standard, territory, community_officer):
    client.force_login(community_officer)
    url = reverse("estates_rate", args=[territory.community.code, company.pk, PERIOD])
    assert client.get(url).status_code == 200
    data = {f"item_{item.pk}": item.max_score for item in standard}
    data[f"item_{standard[0].pk}"] = 99
    response = client.post(url, {**data, "action": "submit"})
    assert response.status_code == 200 and not Rating.objects.exists()
    data[f"item_{standard[0].pk}"] = 3
    response = client.post(url, {**data, "action": "submit", "note": "保洁需加强"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.submitted and rating.items_score == 88 and rating.note == "保洁需加强"
    company_page = client.get(reverse("estates_company", args=[company.pk])).content.decode()
    assert f'data-rating="{rating.pk}"' in company_page


def test_a_company_of_another_community_is_not_found_on_the_form(
    client, company, territory, community_officer
):
    other = Company.objects.create(name="别处物业", credit_code="91320412MA1XYC8888")
    client.force_login(community_officer)
    url = reverse("estates_rate", args=[territory.community.code, other.pk, PERIOD])
    assert client.get(url).status_code == 404
    assert client.get(reverse("estates_company", args=[other.pk])).status_code == 404


def test_the_street_publishes_and_residents_read_the_list(
    client, rating, territory, street_officer
):
    public = reverse("estates_public", args=[territory.street.code])
    assert "data-published" not in client.get(public).content.decode()
    client.force_login(street_officer)
    response = client.post(reverse("estates_publish", args=[territory.street.code, PERIOD]))
    assert response.status_code == 302
    again = client.post(
        reverse("estates_publish", args=[territory.street.code, PERIOD]), follow=True
    )
    assert "already published" in again.content.decode()
    client.logout()
    page = client.get(public).content.decode()
    assert f'data-published="{PERIOD}"' in page and "青湖物业服务有限公司" in page
    assert "street_officer" not in page


def test_the_phone_is_masked_in_the_list(client, company, territory, street_officer):
    client.force_login(street_officer)
    page = client.get(reverse("estates_area", args=[territory.community.code])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
