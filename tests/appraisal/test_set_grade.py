"""A worker's grade set by hand (三岗十八级) from the card page: by district or street staff over
the worker's grid, with a reason; the worker's open proposal is withdrawn."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appraisal import ladder_services
from appraisal.ladder import Grade, GradeHolding, Promotion, Track


def grade(level: int, track: str = Track.FULL_TIME) -> Grade:
    return Grade.objects.get(track=track, level=level)


def hold(worker, level, since=dt.date(2024, 1, 1)):
    return GradeHolding.objects.create(
        worker=worker, grade=grade(level), since=since, reason="入职定级"
    )


def _urls(card):
    return reverse("appraisal_card", args=[card.pk]), reverse(
        "appraisal_card_grade", args=[card.pk]
    )


def _post(level=3, since="2026-12-01", reason="转任定级"):
    return {"grade": grade(level).pk, "since": since, "reason": reason}


def test_the_street_sets_a_grade_from_the_card_and_the_history_shows_it(
    client, territory, own_worker, street_officer, scorecard
):
    first = hold(own_worker, 1)
    card_url, url = _urls(scorecard)
    client.force_login(street_officer)
    assert url in client.get(card_url).content.decode()
    form = client.get(url).content.decode()
    # The worker's own track comes first among the choices.
    assert form.index("Full-time grid worker post") < form.index("Part-time grid worker post")
    response = client.post(url, _post())
    assert response.status_code == 302 and response.url == f"{card_url}#grade"
    page = client.get(card_url).content.decode()
    assert "The grade is set." in page and "转任定级" in page
    assert "Full-time grid worker, grade 3" in page and "since 2026-12-01" in page
    first.refresh_from_db()
    assert first.until == dt.date(2026, 12, 1)
    now = GradeHolding.objects.current().get(worker=own_worker)
    assert now.grade == grade(3) and now.granted_by == street_officer


def test_a_grade_without_a_reason_is_a_field_error_and_changes_nothing(
    client, territory, own_worker, street_officer, scorecard
):
    first = hold(own_worker, 1)
    client.force_login(street_officer)
    response = client.post(_urls(scorecard)[1], _post(reason="  "))
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    first.refresh_from_db()
    assert first.until is None and GradeHolding.objects.count() == 1


def test_a_grade_before_the_current_one_is_refused_on_its_field(
    client, territory, own_worker, street_officer, scorecard
):
    hold(own_worker, 1, since=dt.date(2025, 6, 1))
    client.force_login(street_officer)
    response = client.post(_urls(scorecard)[1], _post(since="2025-01-01"))
    assert response.status_code == 200
    assert "cannot start before" in str(response.context["form"].errors["since"])
    assert GradeHolding.objects.count() == 1


def test_the_grade_already_held_is_refused(territory, own_worker, street_officer):
    hold(own_worker, 2)
    with pytest.raises(ValidationError, match="already holds"):
        ladder_services.set_grade(
            by=street_officer,
            worker=own_worker,
            grade=grade(2),
            since=dt.date(2026, 1, 1),
            reason="x",
        )


@pytest.mark.parametrize("who", ["own_worker", "community_officer"])
def test_the_worker_and_the_community_see_no_link_and_are_refused(
    client, request, territory, own_worker, scorecard, who
):
    client.force_login(request.getfixturevalue(who))
    card_url, url = _urls(scorecard)
    page = client.get(card_url)
    assert page.status_code == 200 and url not in page.content.decode()
    assert client.post(url, _post()).status_code == 403
    assert not GradeHolding.objects.exists()


def test_another_streets_officer_finds_no_grade_page(
    client, territory, other_street_officer, scorecard
):
    client.force_login(other_street_officer)
    url = _urls(scorecard)[1]
    assert client.get(url).status_code == 404
    assert client.post(url, _post()).status_code == 404


def test_nobody_sets_their_own_grade(territory, own_worker):
    with pytest.raises(PermissionDenied):
        ladder_services.set_grade(
            by=own_worker, worker=own_worker, grade=grade(1), since=dt.date(2026, 1, 1), reason="x"
        )


def test_a_grade_set_by_hand_withdraws_the_open_proposal(
    territory, own_worker, street_officer, promotion
):
    """Choice: the open proposal was made from the grade the worker held, which
    decide_promotion would now refuse to approve; left open it would block the next proposal.
    So it is closed as withdrawn, with the officer's reason, and stays in the history."""
    ladder_services.set_grade(
        by=street_officer,
        worker=own_worker,
        grade=grade(2),
        since=dt.date(2026, 12, 1),
        reason="转任定级",
    )
    promotion.refresh_from_db()
    assert promotion.state == Promotion.State.WITHDRAWN
    assert promotion.reason == "Grade set by hand: 转任定级"
    assert promotion.decided_by == street_officer and promotion.decided_at is not None
    assert not Promotion.objects.open().exists()
    with pytest.raises(ValidationError, match="already Withdrawn"):
        ladder_services.decide_promotion(
            by=street_officer, proposal=promotion, approve=True, reason="好"
        )
    assert GradeHolding.objects.current().get(worker=own_worker).grade == grade(2)
