"""The worker's card, the officers' ranking and the street's publish button."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from appraisal import services
from appraisal.models import Scorecard
from grids.roles import Role
from tests.appraisal.fixtures import MONTH
from tests.factories import HouseholdFactory, PostFactory, UserFactory

_RANKING = "appraisal_ranking_month"


def _ranking_url(area, month=MONTH):
    return reverse(_RANKING, args=[area.code, month.year, month.month])


def test_the_worker_reads_their_card_with_definitions_and_overdue_households(
    client, territory, own_worker, scheme
):
    household = HouseholdFactory(grid=territory.grid, address="幸福花园9幢")
    household.__class__.objects.filter(pk=household.pk).update(visit_due_on=dt.date(2026, 11, 3))
    services.compute_month(area=territory.street, month=MONTH)
    client.force_login(own_worker)
    page = client.get(reverse("appraisal_me")).content.decode()
    assert "Households of your grid you visited this month" in page
    assert "幸福花园9幢" in page
    month_page = client.get(reverse("appraisal_me_month", args=[2026, 11]))
    assert month_page.status_code == 200


def test_a_worker_without_cards_sees_that_there_is_none(client, neighbour_worker):
    client.force_login(neighbour_worker)
    assert "No scorecard yet" in client.get(reverse("appraisal_me")).content.decode()


def test_another_streets_officer_finds_neither_the_card_nor_the_ranking(
    client, territory, other_street_officer, scorecard
):
    client.force_login(other_street_officer)
    assert client.get(reverse("appraisal_card", args=[scorecard.pk])).status_code == 404
    assert client.get(_ranking_url(territory.street)).status_code == 404
    assert client.get(_ranking_url(territory.community)).status_code == 404


def test_the_ranking_flags_the_lowest_and_names_the_star(client, territory, street_officer, scheme):
    workers = [
        PostFactory(user=UserFactory(username=f"w{i}"), area=territory.grid, role=Role.GRID_WORKER)
        for i in range(5)
    ]
    services.compute_month(area=territory.street, month=MONTH)
    best = Scorecard.objects.get(worker=workers[2].user)
    services.score_manual(
        by=street_officer, card=best, item=scheme[-1], score=Decimal(20), note="优秀"
    )
    client.force_login(street_officer)
    response = client.get(_ranking_url(territory.street))
    cards = response.context["cards"]
    assert cards[0].worker == workers[2].user
    assert response.context["star"] == cards[0]
    assert response.context["lowest"] == {c.pk for c in cards[-3:]}
    assert "网格之星" in response.content.decode()


def test_the_street_publishes_its_month_from_the_ranking(
    client, territory, street_officer, scorecard
):
    client.force_login(street_officer)
    page = client.get(_ranking_url(territory.street)).content.decode()
    assert reverse("appraisal_publish", args=["S1", 2026, 11]) in page
    response = client.post(reverse("appraisal_publish", args=["S1", 2026, 11]))
    assert response.status_code == 302
    scorecard.refresh_from_db()
    assert scorecard.is_published and scorecard.published_by == street_officer
    page = client.get(_ranking_url(territory.street)).content.decode()
    assert reverse("appraisal_publish", args=["S1", 2026, 11]) not in page


@pytest.mark.parametrize("workers", [1, 50])
def test_the_ranking_takes_the_same_queries_for_1_and_50_workers(
    client, territory, street_officer, scheme, workers, django_assert_max_num_queries, time_machine
):
    time_machine.move_to(dt.datetime(2026, 12, 10, 10, tzinfo=dt.UTC))
    for i in range(workers):
        PostFactory(user=UserFactory(username=f"w{i}"), area=territory.grid, role=Role.GRID_WORKER)
    services.compute_month(area=territory.street, month=MONTH)
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    # The lowest three have had their talk (末位约谈): read in one query, whatever their number.
    flagged = Scorecard.objects.order_by("total", "-worker__username")[:3] if workers > 3 else []
    for card in flagged:
        services.record_talk(
            by=street_officer, card=card, held_on=dt.date(2026, 12, 1), notes="约谈", actions=""
        )
    client.force_login(street_officer)
    client.get(_ranking_url(territory.community))
    with django_assert_max_num_queries(12):
        response = client.get(_ranking_url(territory.community))
    assert len(response.context["cards"]) == workers
    assert sum(1 for c in response.context["cards"] if getattr(c, "talk_on", None)) == min(
        3, workers if workers > 3 else 0
    )


@pytest.mark.parametrize("workers", [1, 50])
def test_computing_a_month_takes_the_same_reads_for_1_and_50_workers(
    territory, scheme, workers, django_assert_max_num_queries
):
    for i in range(workers):
        PostFactory(user=UserFactory(username=f"w{i}"), area=territory.grid, role=Role.GRID_WORKER)
    from appraisal.scoring import month_figures

    with django_assert_max_num_queries(7):
        assert len(month_figures(area=territory.street, month=MONTH)) == workers


def test_the_nightly_command_computes_this_and_last_months_drafts(territory, own_worker, scheme):
    call_command("compute_scorecards", "--today", "2026-12-05")
    months = set(Scorecard.objects.filter(worker=own_worker).values_list("month", flat=True))
    assert months == {dt.date(2026, 11, 1), dt.date(2026, 12, 1)}


def test_a_community_ranking_offers_no_publish_button(client, territory, street_officer, scorecard):
    client.force_login(street_officer)
    response = client.get(_ranking_url(territory.community))
    assert response.status_code == 200 and not response.context["may_publish"]


def test_an_officer_scores_a_draft_and_corrects_it_once_published(
    client, territory, street_officer, scorecard
):
    client.force_login(street_officer)
    url = reverse("appraisal_card_score", args=[scorecard.pk])
    assert (
        "Score a manual item"
        in client.get(reverse("appraisal_card", args=[scorecard.pk])).content.decode()
    )
    client.post(url, {"item": "assessment", "score": "12", "note": "走访扎实"})
    scorecard.refresh_from_db()
    assert scorecard.figures["assessment"]["note"] == "走访扎实"
    assert scorecard.total == Decimal("67.00")
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    response = client.post(url, {"item": "assessment", "score": "16", "reason": "复核加分"})
    new = Scorecard.objects.current().get(worker=scorecard.worker, month=MONTH)
    assert response["Location"] == reverse("appraisal_card", args=[new.pk])
    assert new.version == 2 and new.total == Decimal("71.00") and new.reason == "复核加分"
    page = client.get(response["Location"]).content.decode()
    assert "复核加分" in page and "Earlier versions" in page


def test_the_month_exports_as_excel_ranked(client, territory, street_officer, scorecard):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(street_officer)
    response = client.get(reverse("appraisal_export", args=["S1", 2026, 11]))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "Rank" and rows[1][-1] == "Total"
    assert rows[2][0] == 1 and rows[2][-1] == 55.0
