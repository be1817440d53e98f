"""末位约谈: the officers who score the workers record a talk with the lowest-ranked of a
published month; the ranking says who is still to be talked to; the card keeps the record."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.models import Scorecard, Talk
from grids.roles import Role
from tests.appraisal.fixtures import MONTH, at
from tests.factories import PostFactory, UserFactory

TODAY = dt.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _december(time_machine):
    time_machine.move_to(at(10, TODAY.replace(day=1)))


def _talk(by, card, **changes):
    fields = {
        "held_on": dt.date(2026, 12, 3),
        "notes": "走访户数不足，群众反映响应慢",
        "actions": "每周走访不少于20户",
        "follow_up_on": dt.date(2027, 1, 5),
        **changes,
    }
    return services.record_talk(by=by, card=card, **fields)


def _ranking(area):
    return reverse("appraisal_ranking_month", args=[area.code, MONTH.year, MONTH.month])


def test_a_community_officer_records_a_talk_and_a_follow_up(
    community_officer, published_scorecard, own_worker
):
    talk = _talk(community_officer, published_scorecard)
    assert (talk.worker, talk.month, talk.scorecard, talk.grid) == (
        own_worker,
        MONTH,
        published_scorecard,
        published_scorecard.grid,
    )
    assert talk.held_by == community_officer and talk.follow_up_on == dt.date(2027, 1, 5)
    _talk(community_officer, published_scorecard, held_on=TODAY, notes="复谈：已有改进")
    assert Talk.objects.filter(worker=own_worker, month=MONTH).count() == 2


def test_only_the_officers_who_score_the_workers_record_a_talk(
    own_worker, district_officer, other_street_officer, published_scorecard
):
    for who in (own_worker, district_officer, other_street_officer):
        with pytest.raises(PermissionDenied):
            _talk(who, published_scorecard)
    assert not Talk.objects.exists()


def test_a_draft_month_or_a_superseded_card_has_no_talk(
    street_officer, scorecard, territory, scheme
):
    with pytest.raises(ValidationError):
        _talk(street_officer, scorecard)
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    services.correct_card(
        by=street_officer, card=scorecard, reason="复核", manual_scores={"assessment": 5}
    )
    with pytest.raises(ValidationError):
        _talk(street_officer, scorecard)
    assert not Talk.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on": TODAY + dt.timedelta(days=1)}, "held_on"),
        ({"held_on": dt.date(2026, 10, 31)}, "held_on"),
        ({"notes": "   "}, "notes"),
        ({"follow_up_on": dt.date(2026, 12, 1)}, "follow_up_on"),
    ],
)
def test_a_future_or_early_date_a_follow_up_before_the_talk_or_no_notes_is_refused(
    street_officer, published_scorecard, changes, field
):
    with pytest.raises(ValidationError) as error:
        _talk(street_officer, published_scorecard, **changes)
    assert field in error.value.message_dict
    assert not Talk.objects.exists()


def test_the_ranking_offers_the_talk_to_who_may_and_then_shows_it_recorded(
    client, territory, street_officer, district_officer, scheme
):
    for i in range(5):
        PostFactory(user=UserFactory(username=f"w{i}"), area=territory.grid, role=Role.GRID_WORKER)
    services.compute_month(area=territory.street, month=MONTH)
    client.force_login(street_officer)
    response = client.get(_ranking(territory.street))
    assert "Record the talk" not in response.content.decode()  # a draft month: not yet
    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    response = client.get(_ranking(territory.street))
    flagged = [c for c in response.context["cards"] if c.pk in response.context["lowest"]]
    page = response.content.decode()
    for card in flagged:
        assert reverse("appraisal_card_talk", args=[card.pk]) in page
    assert page.count("Record the talk") == 3

    _talk(street_officer, flagged[0])
    page = client.get(_ranking(territory.street)).content.decode()
    assert "Talk recorded 2026-12-03" in page
    assert reverse("appraisal_card_talk", args=[flagged[0].pk]) not in page
    assert page.count("Record the talk") == 2

    client.force_login(district_officer)
    page = client.get(_ranking(territory.street)).content.decode()
    assert "Talk recorded 2026-12-03" in page and "Record the talk" not in page


def test_the_form_records_the_talk_and_the_card_lists_it(
    client, community_officer, published_scorecard
):
    client.force_login(community_officer)
    url = reverse("appraisal_card_talk", args=[published_scorecard.pk])
    assert client.get(url).context["form"].initial["held_on"] == TODAY
    response = client.post(
        url,
        {
            "held_on": "2026-12-04",
            "notes": "月度走访未达标",
            "actions": "补访逾期户",
            "follow_up_on": "",
        },
        follow=True,
    )
    card_url = reverse("appraisal_card", args=[published_scorecard.pk])
    assert response.redirect_chain == [(card_url, 302)]
    page = response.content.decode()
    assert "The talk is recorded." in page
    assert "Talk held on 2026-12-04" in page and "月度走访未达标" in page and "补访逾期户" in page
    assert "Record a follow-up talk" in page


def test_bad_input_gets_a_field_error_and_records_nothing(
    client, community_officer, published_scorecard
):
    client.force_login(community_officer)
    url = reverse("appraisal_card_talk", args=[published_scorecard.pk])
    response = client.post(url, {"held_on": "2026-12-31", "notes": "x"})
    assert response.status_code == 200
    assert "held_on" in response.context["form"].errors
    response = client.post(url, {"held_on": "not a date", "notes": ""})
    assert {"held_on", "notes"} <= set(response.context["form"].errors)
    assert not Talk.objects.exists()


def test_the_worker_sees_when_and_what_was_agreed_but_not_the_officers_notes(
    client, community_officer, own_worker, part_time_worker, published_scorecard
):
    _talk(community_officer, published_scorecard)
    client.force_login(own_worker)
    for url in (
        reverse("appraisal_me"),
        reverse("appraisal_card", args=[published_scorecard.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Talk held on 2026-12-03" in page and "每周走访不少于20户" in page
        assert "群众反映响应慢" not in page
        assert "Record" not in page
    # A colleague of the grid sees the card, not the talk.
    client.force_login(part_time_worker)
    page = client.get(reverse("appraisal_card", args=[published_scorecard.pk])).content.decode()
    assert "Talk held on" not in page


def test_another_streets_officer_finds_no_talk_form(
    client, other_street_officer, published_scorecard
):
    client.force_login(other_street_officer)
    url = reverse("appraisal_card_talk", args=[published_scorecard.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"held_on": "2026-12-03", "notes": "越权"}).status_code == 404
    assert not Talk.objects.exists()


def test_a_draft_card_has_no_talk_form(client, street_officer, scorecard):
    client.force_login(street_officer)
    assert client.get(reverse("appraisal_card_talk", args=[scorecard.pk])).status_code == 404
    assert Scorecard.objects.get(pk=scorecard.pk).state == Scorecard.State.DRAFT
