"""红色物业's rules: credit codes, stars, scores in range, satisfaction from the requests the
company took, one rating per company × community × half-year, a frozen list published once,
and requests routed to the company serving the estate."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from estates import services
from estates.models import (
    Company,
    Estate,
    ListRow,
    PartyOrg,
    Rating,
    period_bounds,
    period_of,
    previous_period,
    stars_for,
)
from grids.roles import Role
from tests.estates.fixtures import PERIOD, full_scores
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def _company(name: str, code: str) -> Company:
    return services.set_up_company(
        company=Company(name=name, credit_code=code, party_org=PartyOrg.JOINT)
    )


def test_a_credit_code_is_18_characters_of_the_national_alphabet(db):
    with pytest.raises(ValidationError) as error:
        Company(name="某物业", credit_code="91320412MA1XYZ123").full_clean()
    assert "credit_code" in error.value.error_dict
    with pytest.raises(ValidationError):  # Z is not in the alphabet (no I, O, S, V, Z)
        Company(name="某物业", credit_code="91320412MA1XYZ1234").full_clean()
    Company(name="某物业", credit_code="91320412MA1XYC1234").full_clean()


def test_stars_and_half_years():
    assert [stars_for(Decimal(t)) for t in (95, 90, 85, 72, 60, 59.9)] == [5, 5, 4, 3, 2, 1]
    assert period_of(dt.date(2026, 6, 30)) == "2026H1"
    assert period_of(dt.date(2026, 7, 1)) == "2026H2"
    assert previous_period("2026H1") == "2025H2"
    assert period_bounds("2025H2") == (dt.date(2025, 7, 1), dt.date(2025, 12, 31))
    with pytest.raises(ValueError):
        period_bounds("2026H3")


def test_setting_up_a_company_gives_it_a_department_for_its_requests(company):
    assert company.department.property_company == company
    assert company.masked_phone() == "139****5678"


def test_the_community_scores_each_item_within_its_maximum(
    company, standard, territory, community_officer
):
    scores = full_scores(standard)
    scores[standard[0].pk] = standard[0].max_score + 1
    with pytest.raises(ValidationError) as error:
        services.record_rating(
            by=community_officer,
            company=company,
            community=territory.community,
            period=PERIOD,
            scores=scores,
        )
    assert f"item_{standard[0].pk}" in error.value.error_dict
    assert not Rating.objects.exists()


def test_without_rated_requests_the_items_make_the_whole_total(
    company, standard, territory, community_officer
):
    scores = full_scores(standard)
    for item in standard[:3]:  # 5 + 4 + 5 points lost: 76 of the items' 90
        scores[item.pk] = 0
    rating = services.record_rating(
        by=community_officer,
        company=company,
        community=territory.community,
        period=PERIOD,
        scores=scores,
    )
    assert rating.state == Rating.State.DRAFT
    assert (rating.items_score, rating.items_max, rating.satisfaction) == (76, 90, None)
    assert rating.total == Decimal("84.4") and rating.stars == 4
    assert rating.scores.count() == 19


def test_satisfaction_comes_from_the_requests_the_company_took_there(
    company, standard, territory, community_officer, property_matter
):
    from tickets.models import Ticket

    with time_machine.travel(dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)):
        tickets = [_report(territory, property_matter) for _ in range(2)]
    assert {t.department_id for t in tickets} == {company.department_id}
    Ticket.objects.filter(pk=tickets[0].pk).update(rating=5)
    Ticket.objects.filter(pk=tickets[1].pk).update(rating=3)
    rating = services.record_rating(
        by=community_officer,
        company=company,
        community=territory.community,
        period=PERIOD,
        scores=full_scores(standard),
        submit=True,
    )
    assert (rating.satisfaction, rating.rated_requests) == (Decimal("4.00"), 2)
    # 90 of the items' 90 points → 90, plus 4/5 of the 10 points for satisfaction.
    assert rating.total == Decimal("98.0") and rating.submitted
    with pytest.raises(ValidationError):
        services.record_rating(
            by=community_officer,
            company=company,
            community=territory.community,
            period=PERIOD,
            scores=full_scores(standard),
        )


def test_only_the_community_rates_and_only_the_companies_of_its_estates(
    company, standard, territory, street_officer, community_officer
):
    with pytest.raises(PermissionDenied):
        services.record_rating(
            by=street_officer,
            company=company,
            community=territory.community,
            period=PERIOD,
            scores=full_scores(standard),
        )
    other = _company("外区物业", "91320412MA1XYC9999")
    with pytest.raises(ValidationError):
        services.record_rating(
            by=community_officer,
            company=other,
            community=territory.community,
            period=PERIOD,
            scores=full_scores(standard),
        )


def test_the_list_is_published_once_frozen_with_red_and_black_boards(
    company, standard, territory, street_officer, community_officer
):
    weak = _company("万家兴物业", "91320412MA1XYC5555")
    Estate.objects.create(name="梧桐小区", community=territory.community, company=weak)
    for c, minus in ((company, 0), (weak, 45)):
        scores = {item.pk: item.max_score for item in standard}
        for item in standard[:10]:
            scores[item.pk] = 0 if minus else item.max_score
        services.record_rating(
            by=community_officer,
            company=c,
            community=territory.community,
            period=PERIOD,
            scores=scores,
            submit=True,
        )
    published = services.publish_list(by=street_officer, area=territory.street, period=PERIOD)
    rows = {(r.board, r.company_name) for r in published.rows.all()}
    assert rows == {(ListRow.Board.RED, company.name), (ListRow.Board.BLACK, weak.name)}
    # Renaming the company later does not change the published list.
    Company.objects.filter(pk=company.pk).update(name="新名称物业")
    assert published.rows.get(board=ListRow.Board.RED).company_name == "青湖物业服务有限公司"
    with pytest.raises(ValidationError, match="already published"):
        services.publish_list(by=street_officer, area=territory.street, period=PERIOD)


def test_a_half_year_is_published_in_its_last_month_at_the_earliest(territory, street_officer):
    with (
        time_machine.travel(dt.datetime(2026, 5, 20, 2, tzinfo=dt.UTC)),
        pytest.raises(ValidationError),
    ):
        services.publish_list(by=street_officer, area=territory.street, period="2026H1")
    with time_machine.travel(dt.datetime(2026, 6, 20, 2, tzinfo=dt.UTC)):
        assert services.publish_list(by=street_officer, area=territory.street, period="2026H1")


def test_a_community_officer_may_not_publish(territory, community_officer):
    with pytest.raises(PermissionDenied):
        services.publish_list(by=community_officer, area=territory.street, period="2025H2")


def _report(territory, matter, grid=None):
    from tickets import services as tickets

    return tickets.submit(
        channel="qr",
        matter=matter,
        description="楼道灯坏了",
        reporter_phone="13812345678",
        grid=grid or territory.grid,
    )


def test_a_property_matter_goes_to_the_company_serving_the_grid(
    company, territory, property_matter
):
    ticket = _report(territory, property_matter)
    assert ticket.department == company.department and ticket.area == territory.grid
    # Company staff see it through their department.
    from tickets.models import Ticket

    staff = PostFactory(area=territory.neighbour_grid, role=Role.VOLUNTEER).user
    company.department.members.add(staff)
    assert Ticket.objects.visible_to(staff).filter(pk=ticket.pk).exists()


def test_a_property_matter_stays_with_the_grid_where_no_company_serves(
    company, territory, property_matter
):
    assert _report(territory, property_matter, grid=territory.neighbour_grid).department is None
    # Two companies on one grid: the grid decides.
    other = _company("恒信物业", "91320412MA1XYC7777")
    Estate.objects.create(name="阳光水岸", community=territory.community, company=other).grids.add(
        territory.grid
    )
    assert _report(territory, property_matter).department is None
