"""A month's scorecards, computed from visits and requests, hand-checked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appraisal import services
from appraisal.models import SchemeItem, Scorecard
from tests.appraisal.fixtures import MONTH, at, visit
from tests.factories import HouseholdFactory
from tests.tickets.fixtures import reported
from tickets.models import Channel, Status, Ticket


def _card(worker, month=MONTH):
    return Scorecard.objects.current().get(worker=worker, month=month)


def test_a_month_of_work_is_scored_by_hand(territory, own_worker, neighbour_worker, scheme, matter):
    g1 = territory.grid
    h1, h2, h3 = (HouseholdFactory(grid=g1) for _ in range(3))
    # h1, h2 visited (h2 twice, as care); h3 fell due in the month and was not visited.
    visit(own_worker, h1, at(3))
    visit(own_worker, h2, at(5), kind="care")
    visit(own_worker, h2, at(19), kind="care")
    visit(own_worker, h1, at(2, dt.date(2026, 10, 1)))  # October: not this month
    visit(neighbour_worker, HouseholdFactory(grid=territory.neighbour_grid), at(4))
    h3.__class__.objects.filter(pk=h3.pk).update(visit_due_on=dt.date(2026, 11, 20))
    h3.__class__.objects.filter(pk__in=[h1.pk, h2.pk]).update(visit_due_on=dt.date(2027, 2, 1))
    field, late, on_time, rated, october = reported(territory, matter, n=5)
    Ticket.objects.filter(pk=field.pk).update(
        channel=Channel.FIELD, reported_by=own_worker, created_at=at(8)
    )
    Ticket.objects.filter(pk=late.pk).update(
        assignee=own_worker, completion_due=at(10), resolved_at=at(12), status=Status.RESOLVED
    )
    Ticket.objects.filter(pk=on_time.pk).update(
        assignee=own_worker,
        completion_due=at(10),
        resolved_at=at(9),
        closed_at=at(11),
        rating=4,
        status=Status.CLOSED,
    )
    Ticket.objects.filter(pk=rated.pk).update(
        assignee=own_worker, closed_at=at(14), rating=5, status=Status.CLOSED
    )
    Ticket.objects.filter(pk=october.pk).update(
        channel=Channel.FIELD, reported_by=own_worker, created_at=at(30, dt.date(2026, 10, 1))
    )

    assert services.compute_month(area=territory.street, month=MONTH) == 2

    card = _card(own_worker)
    assert card.state == Scorecard.State.DRAFT
    figures = card.figures
    # 2 of 3 households: 0.6667 / 0.9 × 30 = 22.22
    assert figures["visits"]["value"] == 0.6667
    assert figures["visits"]["score"] == "22.22"
    assert figures["_visits_done"] == 2 and figures["_visits_due"] == 3
    assert [row["pk"] for row in card.overdue] == [h3.pk]
    assert figures["care"]["score"] == "2.50"  # 2 of 8
    assert figures["field"]["score"] == "3.00"  # 1 of 5
    assert figures["on_time"]["value"] == 0.5 and figures["on_time"]["score"] == "7.50"
    assert figures["rating"]["value"] == 4.5 and figures["rating"]["score"] == "9.00"
    assert figures["assessment"]["score"] == "0.00"
    assert card.total == Decimal("44.22")


def test_an_empty_month_scores_what_can_be_missed_at_full_marks(territory, own_worker, scheme):
    services.compute_month(area=territory.street, month=MONTH)
    card = _card(own_worker)
    # Nothing due, nothing handled, nothing rated: nothing missed; no care or field work.
    assert card.figures["visits"]["score"] == "30.00"
    assert card.figures["on_time"]["score"] == "15.00"
    assert card.figures["rating"]["score"] == "10.00"
    assert card.figures["care"]["score"] == "0.00"
    assert card.total == Decimal("55.00")
    assert card.overdue == []


def test_a_month_is_scored_under_the_version_in_force(territory, own_worker, scheme):
    SchemeItem.objects.create(
        code="visits",
        version=2,
        valid_from=dt.date(2026, 12, 1),
        name_en="visits",
        name_zh="visits",
        figure="visits_share",
        weight=50,
    )
    services.compute_month(area=territory.street, month=MONTH)
    services.compute_month(area=territory.street, month=dt.date(2026, 12, 1))
    assert _card(own_worker).figures["visits"]["score"] == "30.00"
    assert _card(own_worker, dt.date(2026, 12, 1)).figures["visits"]["score"] == "50.00"


def test_recomputing_is_idempotent_and_keeps_manual_scores(
    territory, own_worker, community_officer, scorecard, scheme
):
    assessment = scheme[-1]
    services.score_manual(
        by=community_officer, card=scorecard, item=assessment, score=Decimal(15), note="认真负责"
    )
    services.compute_month(area=territory.street, month=MONTH)
    services.compute_month(area=territory.street, month=MONTH)
    card = _card(own_worker)
    assert Scorecard.objects.filter(worker=own_worker).count() == 1
    assert card.figures["assessment"] == {
        "item": assessment.pk,
        "value": "15",
        "score": "15.00",
        "note": "认真负责",
    }
    assert card.total == Decimal("70.00")


def test_publishing_freezes_the_month(territory, own_worker, street_officer, scorecard, matter):
    assert services.publish_month(by=street_officer, area=territory.street, month=MONTH) == 1
    field = reported(territory, matter)[0]
    Ticket.objects.filter(pk=field.pk).update(
        channel=Channel.FIELD, reported_by=own_worker, created_at=at(8)
    )
    services.compute_month(area=territory.street, month=MONTH)
    card = _card(own_worker)
    assert card.is_published and card.published_by == street_officer
    assert card.figures["field"]["score"] == "0.00"
    assert card.total == scorecard.total


def test_only_the_street_publishes(territory, community_officer, other_street_officer, scorecard):
    for officer in (community_officer, other_street_officer):
        with pytest.raises(PermissionDenied):
            services.publish_month(by=officer, area=territory.street, month=MONTH)


def test_a_correction_is_a_new_published_version_with_its_reason(
    territory, own_worker, street_officer, scorecard, scheme
):
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    first = _card(own_worker)
    new = services.correct_card(
        by=street_officer,
        card=first,
        reason="漏记主管评价",
        manual_scores={"assessment": Decimal(18)},
    )
    first.refresh_from_db()
    assert first.superseded_at is not None and first.total == Decimal("55.00")
    assert new.version == 2 and new.is_published and new.reason == "漏记主管评价"
    assert new.total == Decimal("73.00")
    assert _card(own_worker) == new
    with pytest.raises(ValidationError):
        services.correct_card(by=street_officer, card=first, reason="x", manual_scores={})
    with pytest.raises(ValidationError):
        services.correct_card(by=street_officer, card=new, reason=" ", manual_scores={})


def test_a_draft_cannot_be_corrected_and_a_published_one_cannot_be_rescored(
    street_officer, scorecard, scheme, territory
):
    with pytest.raises(ValidationError):
        services.correct_card(by=street_officer, card=scorecard, reason="x", manual_scores={})
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    with pytest.raises(ValidationError):
        services.score_manual(
            by=street_officer, card=scorecard, item=scheme[-1], score=Decimal(1), note=""
        )


def test_in_the_month_so_far_only_what_fell_due_by_today_is_missed(
    territory, own_worker, scheme, time_machine
):
    time_machine.move_to(at(10))
    soon, later = (HouseholdFactory(grid=territory.grid) for _ in range(2))
    soon.__class__.objects.filter(pk=soon.pk).update(visit_due_on=dt.date(2026, 11, 9))
    later.__class__.objects.filter(pk=later.pk).update(visit_due_on=dt.date(2026, 11, 25))
    services.compute_month(area=territory.street, month=MONTH)
    assert [row["pk"] for row in _card(own_worker).overdue] == [soon.pk]


def test_a_part_time_workers_service_points_of_the_month_count(
    territory, scheme, member_user, member_account
):
    from grids.roles import Role
    from points import services as points
    from points.models import Entry
    from tests.factories import PostFactory

    PostFactory(user=member_user, area=territory.grid, role=Role.PART_TIME_WORKER)
    SchemeItem.objects.create(
        code="points",
        valid_from=dt.date(2026, 1, 1),
        name_en="points",
        name_zh="points",
        figure="service_points",
        weight=10,
        full_marks_at=Decimal(10),
    )
    for key, amount, day in (("a", 6, dt.date(2026, 11, 5)), ("b", 4, dt.date(2026, 10, 30))):
        points.post(
            account=member_account,
            amount=amount,
            kind=Entry.Kind.EARN,
            idempotency_key=key,
            earned_on=day,
        )
    services.compute_month(area=territory.street, month=MONTH)
    card = _card(member_user)
    assert card.role == Role.PART_TIME_WORKER
    assert card.figures["points"]["value"] == 6 and card.figures["points"]["score"] == "6.00"


def test_a_request_resolved_by_the_colleague_covering_the_assignee_is_credited_to_them(
    territory, own_worker, neighbour_worker, matter
):
    """AB岗: A stays the assignee; B, who resolved it during A's leave, is credited."""
    from appraisal.scoring import month_figures

    covered, own = reported(territory, matter, n=2)
    Ticket.objects.filter(pk=covered.pk).update(
        assignee=own_worker,
        resolved_by=neighbour_worker,
        completion_due=at(10),
        resolved_at=at(9),
        status=Status.RESOLVED,
    )
    # Resolved before ``resolved_by`` was kept: the assignee's.
    Ticket.objects.filter(pk=own.pk).update(
        assignee=own_worker, completion_due=at(10), resolved_at=at(12), status=Status.RESOLVED
    )
    figures = month_figures(area=territory.street, month=MONTH)
    assert figures[neighbour_worker.pk].figures["requests_resolved"] == 1
    assert figures[neighbour_worker.pk].figures["on_time_share"] == 1.0
    assert figures[own_worker.pk].figures["requests_resolved"] == 1
    assert figures[own_worker.pk].figures["on_time_share"] == 0.0


def test_care_visits_on_time_are_scored_by_hand(territory, own_worker, neighbour_worker, scheme):
    from grids.models import CareCategory, Household, ResidentCare
    from tests.factories import ResidentFactory

    SchemeItem.objects.create(
        code="care_on_time",
        valid_from=dt.date(2026, 1, 1),
        name_en="care on time",
        name_zh="关爱走访及时率",
        figure="care_on_time",
        weight=10,
        full_marks_at=Decimal("0.9"),
        position=9,
    )

    def household(grid, category, last, due):
        h = HouseholdFactory(grid=grid)
        if category:
            ResidentCare.objects.create(resident=ResidentFactory(household=h), category=category)
        Household.objects.filter(pk=h.pk).update(
            created_at=at(1, dt.date(2026, 1, 1)), last_visited_at=last, visit_due_on=due
        )
        return h

    g1, october = territory.grid, dt.date(2026, 10, 1)
    # Weekly: visited 28 Oct, so due 4 Nov; visited 3 Nov: on time.
    a = household(g1, CareCategory.ELDERLY_ALONE, at(3), dt.date(2026, 11, 10))
    visit(own_worker, a, at(28, october))
    visit(own_worker, a, at(3))
    # Weekly: visited 30 Oct, so due 6 Nov; visited 9 Nov: late.
    b = household(g1, CareCategory.ELDERLY_ALONE, at(9), dt.date(2026, 11, 16))
    visit(own_worker, b, at(30, october))
    visit(own_worker, b, at(9))
    # Monthly: visited 20 Oct, due 19 Nov, not visited: late.
    c = household(g1, CareCategory.DISABLED, at(20, october), dt.date(2026, 11, 19))
    visit(own_worker, c, at(20, october))
    # Every 90 days: visited 25 Oct, due in January; an early visit in November counts for
    # nothing either way.
    d = household(g1, CareCategory.VETERAN, at(10), dt.date(2027, 2, 8))
    visit(own_worker, d, at(25, october))
    visit(own_worker, d, at(10))
    # Not in care, overdue: the visits figure's business, not this one's.
    household(g1, None, None, dt.date(2026, 11, 2))
    # In care in the neighbour's grid, late: theirs.
    household(territory.neighbour_grid, CareCategory.DISABLED, None, dt.date(2026, 11, 2))

    services.compute_month(area=territory.street, month=MONTH)

    figures = _card(own_worker).figures
    # 1 of 3 due in the month on time: 0.3333 / 0.9 × 10 = 3.70
    assert figures["care_on_time"]["value"] == 0.3333
    assert figures["care_on_time"]["score"] == "3.70"
    assert (figures["_care_due"], figures["_care_done"]) == (3, 1)
    assert [(row["pk"], row["due"]) for row in figures["_care_late"]] == [
        (b.pk, "2026-11-06"),
        (c.pk, "2026-11-19"),
    ]
    neighbour = _card(neighbour_worker).figures
    assert neighbour["care_on_time"]["value"] == 0.0
    assert neighbour["_care_due"] == 1


def test_no_care_visit_due_is_nothing_missed(territory, own_worker, scheme):
    SchemeItem.objects.create(
        code="care_on_time",
        valid_from=dt.date(2026, 1, 1),
        name_en="care on time",
        name_zh="关爱走访及时率",
        figure="care_on_time",
        weight=10,
        full_marks_at=Decimal("0.9"),
    )
    services.compute_month(area=territory.street, month=MONTH)
    figures = _card(own_worker).figures
    assert figures["care_on_time"]["value"] is None
    assert figures["care_on_time"]["score"] == "10.00"


def test_a_month_with_leave_and_cover_credits_whoever_did_the_work_by_hand(
    territory, own_worker, neighbour_worker, scheme, matter
):
    """A (own worker, G1) is on leave 10–20 November; B (neighbour worker, G2) covers them."""
    from grids.models import Cover, Household, Leave, Post

    Cover.objects.create(post=Post.objects.get(user=own_worker), covered_by=neighbour_worker)
    Leave.objects.create(
        user=own_worker, starts_on=dt.date(2026, 11, 10), ends_on=dt.date(2026, 11, 20)
    )
    h1, h2, h3, h4 = (HouseholdFactory(grid=territory.grid) for _ in range(4))
    k1 = HouseholdFactory(grid=territory.neighbour_grid)
    Household.objects.update(visit_due_on=dt.date(2026, 11, 15))
    visit(own_worker, h1, at(3))  # before the leave
    visit(neighbour_worker, h2, at(12))  # B, for A, during the leave
    visit(neighbour_worker, h3, at(14))
    visit(neighbour_worker, k1, at(5))  # B's own grid
    # h4: nobody went.
    Household.objects.filter(pk__in=[h1.pk, h2.pk, h3.pk, k1.pk]).update(
        visit_due_on=dt.date(2027, 2, 1)
    )
    covered = reported(territory, matter, n=1)[0]
    Ticket.objects.filter(pk=covered.pk).update(
        assignee=own_worker,
        resolved_by=neighbour_worker,
        completion_due=at(16),
        resolved_at=at(15),
        status=Status.RESOLVED,
    )

    services.compute_month(area=territory.street, month=MONTH)

    a, b = _card(own_worker), _card(neighbour_worker)
    # A: visited h1; h4 still due; h2, h3 are B's work, in neither of A's figures.
    # 1 of 2 = 0.5 → 0.5 / 0.9 × 30 = 16.67.
    assert (a.figures["_visits_done"], a.figures["_visits_due"]) == (1, 2)
    assert a.figures["visits"]["score"] == "16.67"
    assert [row["pk"] for row in a.overdue] == [h4.pk]
    # B: their own k1 and A's h2, h3: 3 of 3 = 30.00; and the request B resolved on time.
    assert (b.figures["_visits_done"], b.figures["_visits_due"]) == (3, 3)
    assert b.figures["visits"]["score"] == "30.00"
    assert b.figures["_requests_resolved"] == 1 and b.figures["on_time"]["score"] == "15.00"
    assert a.figures["_requests_resolved"] == 0
