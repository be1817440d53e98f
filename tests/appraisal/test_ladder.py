"""The career ladder (三岗十八级): the month's proposals from published scores and years in
post, the street's decision with a reason, and the pages."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from appraisal import ladder_services
from appraisal.demo import load_defaults
from appraisal.ladder import Grade, GradeHolding, Promotion, Track
from appraisal.models import Scorecard
from grids.models import Post
from grids.roles import Role
from tests.factories import PostFactory, UserFactory

TODAY = dt.date(2026, 12, 2)
# The twelve months before December 2026.
MONTHS = [dt.date(2025 + (m > 0), (11 + m) % 12 + 1, 1) for m in range(12)]


@pytest.fixture(autouse=True)
def ladder(db):
    """The default ladder (a data migration's rows, which a transactional test's flush
    empties before this module may run)."""
    load_defaults()


def grade(level: int, track: str = Track.FULL_TIME) -> Grade:
    return Grade.objects.get(track=track, level=level)


def cards(worker, grid, totals, months=MONTHS, state=Scorecard.State.PUBLISHED):
    Scorecard.objects.bulk_create(
        Scorecard(
            worker=worker,
            grid=grid,
            role=Role.GRID_WORKER,
            month=month,
            state=state,
            total=Decimal(total),
        )
        for month, total in zip(months, totals, strict=False)
    )


def hold(worker, level, since=dt.date(2024, 1, 1)):
    return GradeHolding.objects.create(
        worker=worker, grade=grade(level), since=since, reason="入职定级"
    )


def started(worker, on):
    Post.objects.filter(user=worker).update(started_on=on)


def test_the_months_are_the_twelve_before_december():
    assert MONTHS[0] == dt.date(2025, 12, 1) and MONTHS[-1] == dt.date(2026, 11, 1)


def test_a_proposal_carries_the_hand_computed_average_and_years(territory, own_worker):
    hold(own_worker, 2)
    started(own_worker, dt.date(2023, 6, 2))  # 3.5 years by 2 December 2026
    totals = [80, 82, 84, 86, 88, 90, 80, 82, 84, 86, 88, 90]  # sum 1020, average 85
    cards(own_worker, territory.grid, totals)
    # A draft, and a card older than the twelve months, count for nothing.
    cards(own_worker, territory.grid, [0], months=[dt.date(2026, 12, 1)], state="draft")
    cards(own_worker, territory.grid, [0], months=[dt.date(2025, 11, 1)])

    made = ladder_services.propose_promotions(area=territory.street, today=TODAY)

    assert len(made) == 1
    proposal = Promotion.objects.get()
    assert proposal.from_grade == grade(2) and proposal.to_grade == grade(3)
    assert proposal.average == Decimal("85.00")
    assert proposal.months == 12
    assert proposal.years == Decimal("3.5")
    assert proposal.grid == territory.grid and proposal.is_open


def test_years_in_post_count_overlapping_posts_once():
    posts = [(dt.date(2020, 1, 1), dt.date(2022, 1, 1)), (dt.date(2021, 1, 1), None)]
    assert ladder_services.years_in_post(posts, dt.date(2024, 1, 1)) == Decimal("4.0")


@pytest.mark.parametrize(
    "started_on, totals",
    [
        (dt.date(2023, 6, 2), [90] * 11),  # 11 published months, 12 needed
        (dt.date(2024, 6, 2), [90] * 12),  # 2.5 years, 3 needed
        (dt.date(2023, 6, 2), [79] * 12),  # average 79, 80 needed
    ],
    ids=["short-of-months", "short-of-years", "short-of-score"],
)
def test_no_proposal_for_a_worker_short_of_the_next_grade(
    territory, own_worker, started_on, totals
):
    hold(own_worker, 2)
    started(own_worker, started_on)
    cards(own_worker, territory.grid, totals)
    assert ladder_services.propose_promotions(area=territory.street, today=TODAY) == []


def test_a_worker_without_a_grade_is_proposed_the_first_of_their_track(
    territory, own_worker, part_time_worker
):
    ladder_services.propose_promotions(area=territory.street, today=TODAY)
    proposals = {p.worker: p for p in Promotion.objects.select_related("to_grade")}
    assert proposals[own_worker].to_grade == grade(1)
    assert proposals[own_worker].from_grade is None
    assert proposals[part_time_worker].to_grade == grade(1, Track.PART_TIME)


def test_the_top_grade_is_proposed_nothing(territory, own_worker):
    hold(own_worker, 6)
    started(own_worker, dt.date(2000, 1, 1))
    cards(own_worker, territory.grid, [100] * 12)
    assert ladder_services.propose_promotions(area=territory.street, today=TODAY) == []


def test_the_job_run_twice_proposes_nothing_new(territory, own_worker, neighbour_worker):
    with time_machine.travel(dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)):
        call_command("propose_promotions", "--today", "2026-12-02")
        call_command("propose_promotions", "--today", "2026-12-02")
    assert Promotion.objects.count() == 2


def test_a_rejected_grade_is_not_proposed_again_the_same_month(
    territory, own_worker, street_officer
):
    proposal = ladder_services.propose_promotions(area=territory.street)[0]
    ladder_services.decide_promotion(
        by=street_officer, proposal=proposal, approve=False, reason="试用期未满"
    )
    assert ladder_services.propose_promotions(area=territory.street) == []


def test_the_street_approves_with_a_reason_and_the_worker_moves_up(
    territory, own_worker, street_officer
):
    first = hold(own_worker, 1)
    proposal = Promotion.objects.create(
        worker=own_worker,
        grid=territory.grid,
        from_grade=grade(1),
        to_grade=grade(2),
        average=Decimal(80),
        months=12,
        years=Decimal(2),
    )
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)):
        ladder_services.decide_promotion(
            by=street_officer, proposal=proposal, approve=True, reason="考核优秀，年限已满"
        )
    proposal.refresh_from_db()
    first.refresh_from_db()
    assert proposal.state == Promotion.State.APPROVED and proposal.decided_by == street_officer
    assert first.until == dt.date(2026, 12, 3)
    now = GradeHolding.objects.current().get(worker=own_worker)
    assert now.grade == grade(2) and now.reason == "考核优秀，年限已满"
    assert now.promotion == proposal and now.granted_by == street_officer


def test_a_rejection_keeps_the_grade_and_records_the_reason(
    territory, own_worker, street_officer, promotion
):
    ladder_services.decide_promotion(
        by=street_officer, proposal=promotion, approve=False, reason="待下月复核"
    )
    promotion.refresh_from_db()
    assert promotion.state == Promotion.State.REJECTED and promotion.reason == "待下月复核"
    assert not GradeHolding.objects.exists()


def test_a_decision_needs_a_reason_and_changes_nothing_without(
    territory, street_officer, promotion
):
    with pytest.raises(ValidationError):
        ladder_services.decide_promotion(
            by=street_officer, proposal=promotion, approve=True, reason="  "
        )
    promotion.refresh_from_db()
    assert promotion.is_open and not GradeHolding.objects.exists()


def test_a_decided_proposal_is_refused_politely(territory, street_officer, promotion):
    ladder_services.decide_promotion(
        by=street_officer, proposal=promotion, approve=True, reason="好"
    )
    with pytest.raises(ValidationError, match="already"):
        ladder_services.decide_promotion(
            by=street_officer, proposal=promotion, approve=False, reason="撤回"
        )
    assert GradeHolding.objects.count() == 1


def test_the_community_and_the_district_do_not_decide(
    territory, community_officer, district_officer, promotion
):
    for officer in (community_officer, district_officer):
        with pytest.raises(PermissionDenied):
            ladder_services.decide_promotion(
                by=officer, proposal=promotion, approve=True, reason="好"
            )


def test_the_district_sets_a_grade_and_the_old_one_ends(territory, own_worker, district_officer):
    first = hold(own_worker, 1)
    ladder_services.set_grade(
        by=district_officer,
        worker=own_worker,
        grade=grade(3),
        since=dt.date(2026, 1, 1),
        reason="转任定级",
    )
    first.refresh_from_db()
    assert first.until == dt.date(2026, 1, 1)
    assert GradeHolding.objects.current().get(worker=own_worker).grade == grade(3)


def test_another_streets_officer_may_not_set_a_grade(territory, own_worker, other_street_officer):
    with pytest.raises(PermissionDenied):
        ladder_services.set_grade(
            by=other_street_officer,
            worker=own_worker,
            grade=grade(2),
            since=dt.date(2026, 1, 1),
            reason="x",
        )


# --- Pages ------------------------------------------------------------------------------------


def _page(area):
    return reverse("appraisal_promotions", args=[area.code])


def test_the_street_approves_from_its_page(client, territory, street_officer, promotion):
    client.force_login(street_officer)
    page = client.get(_page(territory.street)).content.decode()
    assert promotion.worker.display_name in page and "Full-time grid worker, grade 1" in page
    url = reverse("appraisal_promotion_decide", args=[promotion.pk])
    response = client.post(url, {"decision": "approve", "reason": "表现突出"})
    assert response.status_code == 302 and response.url == _page(territory.street)
    assert GradeHolding.objects.current().get().reason == "表现突出"
    # Decided, it leaves the open proposals for the recent decisions, with its reason.
    page = client.get(_page(territory.street)).content.decode()
    assert "No open proposals." in page and "Recent decisions" in page and "表现突出" in page


def test_a_decision_without_a_reason_is_refused_on_the_page(
    client, territory, street_officer, promotion
):
    client.force_login(street_officer)
    url = reverse("appraisal_promotion_decide", args=[promotion.pk])
    response = client.post(url, {"decision": "approve", "reason": ""}, follow=True)
    assert "a decision needs a reason" in response.content.decode()
    promotion.refresh_from_db()
    assert promotion.is_open


def test_another_streets_officer_finds_neither_the_page_nor_the_proposal(
    client, territory, other_street_officer, promotion
):
    client.force_login(other_street_officer)
    assert client.get(_page(territory.street)).status_code == 404
    url = reverse("appraisal_promotion_decide", args=[promotion.pk])
    assert client.post(url, {"decision": "approve", "reason": "x"}).status_code == 404


def test_the_ranking_links_the_promotions_only_for_the_street(
    client, territory, street_officer, district_officer
):
    link = _page(territory.street)
    ranking = reverse("appraisal_ranking", args=[territory.street.code])
    client.force_login(street_officer)
    assert link in client.get(ranking).content.decode()
    client.force_login(district_officer)
    assert link not in client.get(ranking).content.decode()


def test_the_worker_reads_their_grade_and_its_history(client, territory, own_worker):
    hold(own_worker, 1, since=dt.date(2024, 1, 1))
    GradeHolding.objects.update(until=dt.date(2025, 1, 1))
    GradeHolding.objects.create(
        worker=own_worker, grade=grade(2), since=dt.date(2025, 1, 1), reason="晋升"
    )
    client.force_login(own_worker)
    page = client.get(reverse("appraisal_me")).content.decode()
    assert "Full-time grid worker, grade 2" in page and "since 2025-01-01" in page
    assert "Full-time grid worker, grade 1" in page and "晋升" in page


def test_an_officer_reads_the_workers_grade_history_on_the_card(
    client, territory, own_worker, street_officer, scorecard
):
    hold(own_worker, 1)
    client.force_login(street_officer)
    page = client.get(reverse("appraisal_card", args=[scorecard.pk])).content.decode()
    assert "Full-time grid worker, grade 1" in page and "入职定级" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_the_promotions_page_reads_a_constant_number_of_queries(
    client, territory, street_officer, rows, django_assert_max_num_queries
):
    for i in range(rows):
        PostFactory(user=UserFactory(username=f"w{i}"), area=territory.grid, role=Role.GRID_WORKER)
    ladder_services.propose_promotions(area=territory.street)
    assert Promotion.objects.count() == rows
    # As many decided lately, listed under the open ones.
    for i in range(rows):
        PostFactory(user=UserFactory(username=f"d{i}"), area=territory.grid, role=Role.GRID_WORKER)
    for proposal in ladder_services.propose_promotions(area=territory.street):
        ladder_services.decide_promotion(
            by=street_officer, proposal=proposal, approve=bool(proposal.pk % 2), reason="好"
        )
    assert Promotion.objects.filter(decided_at__isnull=False).count() == rows
    client.force_login(street_officer)
    with django_assert_max_num_queries(12):
        response = client.get(_page(territory.street))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_proposing_reads_a_constant_number_of_queries(
    territory, rows, django_assert_max_num_queries
):
    for i in range(rows):
        user = UserFactory(username=f"w{i}")
        post = PostFactory(user=user, area=territory.grid, role=Role.GRID_WORKER)
        cards(user, post.area, [90] * 12)
    with django_assert_max_num_queries(8):
        made = ladder_services.propose_promotions(area=territory.street, today=TODAY)
    assert len(made) == rows
