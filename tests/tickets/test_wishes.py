"""Micro-wishes (微心愿): posted on the community's wall, read by the community, claimed by
members or recorded for a co-building unit, fulfilled with a photo, confirmed by the wisher."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import CoBuildingUnit, PartyMember
from tests.factories import PostFactory, UserFactory, jpeg
from tickets import policy, services
from tickets.models import Channel, Event, Matter, Status, Ticket

pytestmark = pytest.mark.django_db
A = Event.Action


@pytest.fixture(autouse=True)
def _fresh_limits(settings, tmp_path):
    cache.clear()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    yield
    cache.clear()


@pytest.fixture
def wish_matter(matter):
    return Matter.objects.get(code="micro_wish")


def _wish(territory, wish_matter, text="希望有人周六上午陪孩子读书", phone="13812345678"):
    return services.submit(
        channel=Channel.WISH,
        matter=wish_matter,
        description=text,
        reporter_phone=phone,
        reporter_name="王妈妈",
        address="幸福花园5幢101",
        community=territory.community,
    )


@pytest.fixture
def open_wish(territory, wish_matter, dispatcher):
    return services.accept(by=dispatcher, ticket=_wish(territory, wish_matter))


@pytest.fixture
def unit(territory):
    return CoBuildingUnit.objects.create(
        community=territory.community, name="区人民医院", kind="hospital"
    )


def _wall(client, code="C1", **params):
    return client.get(reverse("wish_wall", kwargs={"code": code}), params)


def _post_wish(client, code="C1", ip="10.0.0.1", **changes):
    data = {
        "description": "希望有人教奶奶用智能手机",
        "reporter_phone": "13812345678",
        "reporter_name": "",
        "address": "",
        "website": "",
    }
    data.update(changes)
    return client.post(reverse("wish_new", kwargs={"code": code}), data, REMOTE_ADDR=ip)


def _claim(client, wish):
    return client.post(
        reverse("wish_claim", kwargs={"code": "C1", "pk": wish.pk}), {"version": wish.version}
    )


# --- Posting -----------------------------------------------------------------------------------


def test_a_resident_posts_a_wish_which_waits_for_the_community_before_the_wall(
    client, territory, wish_matter
):
    response = _post_wish(client)
    wish = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/t/{wish.tracking_token}/?sent=1"
    assert (wish.channel, wish.area, wish.matter) == (
        Channel.WISH,
        territory.community,
        wish_matter,
    )
    assert wish.status == Status.SUBMITTED  # not accepted on its own: the community reads it
    body = client.get(response["Location"]).content.decode()
    assert "Your wish has been sent" in body and wish.short_code[:4] in body
    assert "before it goes on the wall" in body
    assert "教奶奶" not in _wall(client).content.decode()


def test_the_wish_form_has_the_same_checks_as_the_request_form(client, territory, wish_matter):
    assert _post_wish(client, reporter_phone="").status_code == 400
    assert _post_wish(client, reporter_phone="12345").status_code == 400
    assert _post_wish(client, description="").status_code == 400
    assert _post_wish(client, description="x" * 501).status_code == 400
    from tests.tickets.test_public import _program

    response = _post_wish(client, photos=[_program()])
    assert response.status_code == 400 and "not a photo we can read" in response.content.decode()
    assert _post_wish(client, website="spam").status_code == 200  # the honeypot
    assert not Ticket.objects.exists()


def test_wishes_share_the_request_forms_rate_limits(client, territory, wish_matter, settings):
    settings.PUBLIC_FORM_RATE_IP = "1/h"
    settings.PUBLIC_FORM_RATE_PHONE = "1/d"
    assert _post_wish(client).status_code == 302
    assert _post_wish(client, reporter_phone="13900000000").status_code == 429
    grid_form = client.post(
        reverse("resident_request", kwargs={"code": "G1"}), {}, REMOTE_ADDR="10.0.0.1"
    )
    assert grid_form.status_code == 429
    assert _post_wish(client, ip="10.0.0.2").status_code == 429  # the same mobile number
    from tests.tickets.test_public import _file

    assert (
        _file(client, wish_matter.__class__.objects.get(code="lift"), ip="10.0.0.3").status_code
        == 429
    )
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("code", ["G1", "S1", "NOPE", "x" * 300])
def test_the_wall_belongs_to_a_community_anything_else_is_a_404(client, territory, code):
    assert client.get(f"/wishes/{code}/").status_code == 404
    assert client.get(f"/wishes/{code}/new/").status_code == 404


def test_no_wish_can_be_posted_when_the_catalogue_retired_wishes(client, territory, wish_matter):
    wish_matter.active = False
    wish_matter.save()
    response = _post_wish(client)
    assert response.status_code == 400 and not Ticket.objects.exists()


def test_a_wish_cannot_be_filed_under_another_matter(territory, matter):
    with pytest.raises(ValidationError):
        services.submit(
            channel=Channel.WISH,
            matter=matter,
            description="x",
            reporter_phone="13812345678",
            community=territory.community,
        )


# --- The wall ----------------------------------------------------------------------------------


def test_the_wall_shows_only_the_wish_its_date_and_status(client, open_wish):
    body = _wall(client).content.decode()
    assert "希望有人周六上午陪孩子读书" in body
    assert "On the wall: waiting for a helper" in body
    for secret in [
        "王妈妈",
        "13812345678",
        "138****5678",
        "幸福花园5幢101",
        open_wish.short_code,
        open_wish.tracking_token,
        "/claim/",
        "/unit/",
    ]:
        assert secret not in body, secret


def test_the_wall_leaves_out_unread_rejected_and_closed_wishes(
    client, territory, wish_matter, dispatcher
):
    unread = _wish(territory, wish_matter, text="未审核的心愿")
    rejected = _wish(territory, wish_matter, text="广告：代办证件")
    services.reject(by=dispatcher, ticket=rejected, reason="不是心愿")
    elsewhere = services.accept(
        by=UserFactory(is_superuser=True),
        ticket=services.submit(
            channel=Channel.WISH,
            matter=wish_matter,
            description="别的社区的心愿",
            reporter_phone="13812345678",
            community=territory.other_community,
        ),
    )
    body = _wall(client).content.decode()
    assert unread.description not in body and "代办证件" not in body
    assert elsewhere.description not in body
    assert elsewhere.description in _wall(client, code="C2").content.decode()


def test_a_member_of_the_community_claims_a_wish_from_the_wall(client, open_wish, own_worker):
    client.force_login(own_worker)  # a grid worker of G1; the wish lives in C1
    body = _wall(client).content.decode()
    assert f"/wishes/C1/{open_wish.pk}/claim/" in body
    response = _claim(client, open_wish)
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", kwargs={"code": open_wish.short_code})
    wish = Ticket.objects.get(pk=open_wish.pk)
    assert (wish.status, wish.assignee) == (Status.ASSIGNED, own_worker)
    assert wish.events.filter(action=A.CLAIM, actor=own_worker).exists()
    # The claimant sees it among their tasks and on its page.
    assert client.get(response["Location"]).status_code == 200
    assert [t.pk for t in client.get(reverse("my_tasks")).context["tasks"]] == [wish.pk]
    assert "A helper has taken it on" in _wall(client).content.decode()


def test_a_party_member_with_an_account_but_no_post_claims_and_fulfils(
    client, open_wish, territory
):
    user = UserFactory(username="member_only", display_name="在职党员")
    PartyMember.objects.create(
        name="在职党员",
        community=territory.community,
        user=user,
        kind="in_service",
        work_unit="区税务局",
    )
    client.force_login(user)
    assert _claim(client, open_wish).status_code == 302
    page = client.get(reverse("ticket_detail", kwargs={"code": open_wish.short_code}))
    assert page.status_code == 200 and "resolve" in page.context["actions"]
    client.post(
        reverse("ticket_act", kwargs={"code": open_wish.short_code, "action": "resolve"}),
        {"version": Ticket.objects.get(pk=open_wish.pk).version, "note": "周六陪读两小时"},
    )
    assert Ticket.objects.get(pk=open_wish.pk).status == Status.ASSIGNED  # a photo is required
    client.post(
        reverse("ticket_act", kwargs={"code": open_wish.short_code, "action": "resolve"}),
        {
            "version": Ticket.objects.get(pk=open_wish.pk).version,
            "note": "周六陪读两小时",
            "photos": [jpeg()],
        },
    )
    wish = Ticket.objects.get(pk=open_wish.pk)
    assert wish.status == Status.RESOLVED and wish.photos.filter(kind="result").count() == 1
    # The wisher confirms from the tracking link.
    client.logout()
    track = reverse("ticket_track", kwargs={"token": wish.tracking_token})
    body = client.get(track).content.decode()
    assert "Fulfilled: waiting for the wisher to confirm" in body and "在职党员" not in body
    client.post(track, {"rating": "5", "comment": "孩子很开心"})
    wish = Ticket.objects.get(pk=open_wish.pk)
    assert wish.status == Status.CLOSED and wish.rating == 5
    assert "1 wish fulfilled in the past year" in _wall(client).content.decode()


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("own_worker", True),  # CLAIM_TICKETS in a grid of the community
        ("neighbour_worker", True),  # another grid of the same community
        ("part_time_worker", True),
        ("street_officer", False),  # dispatches, does not take requests
        ("district_officer", False),
        ("other_street_officer", False),
    ],
)
def test_who_may_claim_a_wish(client, open_wish, request, who, allowed):
    user = request.getfixturevalue(who)
    assert policy.may_claim(user, open_wish) is allowed
    client.force_login(user)
    assert (f"/wishes/C1/{open_wish.pk}/claim/" in _wall(client).content.decode()) is allowed
    response = _claim(client, open_wish)
    assert response.status_code == (302 if allowed else 403)
    assert (Ticket.objects.get(pk=open_wish.pk).assignee == user) is allowed


def test_members_of_another_community_may_not_claim(client, open_wish, territory):
    far = UserFactory(username="g3_worker")
    PostFactory(user=far, area=territory.far_grid, role="grid_worker")
    elsewhere = UserFactory(username="c2_member")
    PartyMember.objects.create(
        name="外社区党员", community=territory.other_community, user=elsewhere
    )
    inactive = UserFactory(username="retired_member")
    PartyMember.objects.create(
        name="离开的党员", community=territory.community, user=inactive, active=False
    )
    for user in (far, elsewhere, inactive):
        client.force_login(user)
        assert _claim(client, open_wish).status_code == 403
    assert Ticket.objects.get(pk=open_wish.pk).status == Status.ACCEPTED


def test_claiming_needs_a_sign_in(client, open_wish):
    response = _claim(client, open_wish)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_second_claim_is_told_kindly_and_changes_nothing(
    client, open_wish, own_worker, neighbour_worker
):
    stale_version = open_wish.version
    services.claim(by=own_worker, ticket=open_wish)
    client.force_login(neighbour_worker)
    response = client.post(
        reverse("wish_claim", kwargs={"code": "C1", "pk": open_wish.pk}),
        {"version": stale_version},
    )
    assert response.status_code == 302 and response["Location"] == "/wishes/C1/"
    assert Ticket.objects.get(pk=open_wish.pk).assignee == own_worker
    response = _claim(client, Ticket.objects.get(pk=open_wish.pk))
    assert Ticket.objects.get(pk=open_wish.pk).assignee == own_worker
    body = client.get(response["Location"]).content.decode()
    assert "already taken this wish" in body


def test_an_ordinary_request_cannot_be_claimed_through_the_wall(client, ticket, own_worker):
    client.force_login(own_worker)
    response = client.post(reverse("wish_claim", kwargs={"code": "C1", "pk": ticket.pk}))
    assert response.status_code == 404


# --- Co-building units --------------------------------------------------------------------------


def test_a_dispatcher_records_that_a_co_building_unit_took_a_wish(
    client, open_wish, dispatcher, unit, member_worker
):
    client.force_login(dispatcher)
    body = _wall(client).content.decode()
    assert f"/wishes/C1/{open_wish.pk}/unit/" in body and "区人民医院" in body
    response = client.post(
        reverse("wish_unit", kwargs={"code": "C1", "pk": open_wish.pk}),
        {"unit": unit.pk, "version": open_wish.version},
    )
    assert response.status_code == 302
    wish = Ticket.objects.get(pk=open_wish.pk)
    assert (wish.status, wish.unit, wish.assignee) == (Status.ASSIGNED, unit, None)
    event = wish.events.get(action=A.ASSIGN)
    assert event.actor == dispatcher and "区人民医院" in event.note
    assert "Taken by 区人民医院" in _wall(client).content.decode()
    client.logout()
    assert "区人民医院" not in _wall(client).content.decode()  # no names on the public wall
    # Community staff record the unit's work; nobody else can.
    assert services.allowed_actions(member_worker, wish) == []
    assert A.RESOLVE in services.allowed_actions(dispatcher, wish)
    with pytest.raises(ValidationError):
        services.resolve(by=dispatcher, ticket=wish, result="已送书上门")  # needs a photo
    wish = services.resolve(by=dispatcher, ticket=wish, result="已送书上门", photos=[jpeg()])
    assert wish.status == Status.RESOLVED


def test_only_dispatchers_record_a_unit(client, open_wish, own_worker, unit):
    client.force_login(own_worker)
    assert f"/wishes/C1/{open_wish.pk}/unit/" not in _wall(client).content.decode()
    response = client.post(
        reverse("wish_unit", kwargs={"code": "C1", "pk": open_wish.pk}),
        {"unit": unit.pk, "version": open_wish.version},
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=open_wish.pk).status == Status.ACCEPTED


def test_a_unit_of_another_community_is_refused(client, open_wish, dispatcher, territory):
    other = CoBuildingUnit.objects.create(
        community=territory.other_community, name="外区学校", kind="school"
    )
    client.force_login(dispatcher)
    client.post(
        reverse("wish_unit", kwargs={"code": "C1", "pk": open_wish.pk}),
        {"unit": other.pk, "version": open_wish.version},
    )
    assert Ticket.objects.get(pk=open_wish.pk).unit is None
    with pytest.raises(ValidationError):
        services.assign(by=dispatcher, ticket=open_wish, unit=other)


def test_units_take_wishes_only(ticket, dispatcher, unit):
    services.accept(by=dispatcher, ticket=ticket)
    with pytest.raises(ValidationError):
        services.assign(by=dispatcher, ticket=ticket, unit=unit)
    with pytest.raises(ValidationError):
        services.assign(by=dispatcher, ticket=ticket, unit=unit, assignee=dispatcher)


def test_returning_a_unit_wish_frees_it_for_the_wall_again(open_wish, dispatcher, unit):
    wish = services.assign(by=dispatcher, ticket=open_wish, unit=unit)
    wish = services.return_to_dispatch(by=dispatcher, ticket=wish, reason="医院本周排不开")
    assert (wish.status, wish.unit) == (Status.ACCEPTED, None)
    assert not wish.events.get(action=A.RETURN).public


def test_a_member_claiming_after_a_unit_clears_the_unit(open_wish, dispatcher, unit, own_worker):
    wish = services.assign(by=dispatcher, ticket=open_wish, unit=unit)
    with pytest.raises(ValidationError):
        services.claim(by=own_worker, ticket=wish)  # taken already
    wish = services.return_to_dispatch(by=dispatcher, ticket=wish, reason="改由党员认领")
    wish = services.claim(by=own_worker, ticket=wish)
    assert (wish.assignee, wish.unit) == (own_worker, None)


def test_a_low_rating_reopens_a_wish_and_frees_the_unit(open_wish, dispatcher, unit):
    wish = services.assign(by=dispatcher, ticket=open_wish, unit=unit)
    wish = services.resolve(by=dispatcher, ticket=wish, result="已完成", photos=[jpeg()])
    wish = services.rate(ticket=wish, rating=1, comment="没有人来")
    assert (wish.status, wish.unit) == (Status.ACCEPTED, None)


def test_services_refuse_claims_from_outside_the_community(open_wish, territory):
    stranger = UserFactory(username="stranger")
    with pytest.raises(PermissionDenied):
        services.claim(by=stranger, ticket=open_wish)


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "dispatcher", "own_worker"])
def test_the_wall_runs_the_same_queries_for_one_or_fifty_wishes(
    client, territory, wish_matter, dispatcher, unit, request, who
):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    def add(n):
        for i in range(n):
            wish = services.accept(by=dispatcher, ticket=_wish(territory, wish_matter, f"心愿{i}"))
            if i % 3 == 1:
                services.assign(by=dispatcher, ticket=wish, unit=unit)

    def count():
        # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
        _wall(client)
        with CaptureQueriesContext(connection) as ctx:
            assert _wall(client).status_code == 200
        return len(ctx.captured_queries)

    add(1)
    one = count()
    add(49)
    assert count() == one
    assert count() <= 12


def test_a_wish_not_yet_read_by_the_community_cannot_be_claimed(
    client, territory, wish_matter, own_worker
):
    unread = _wish(territory, wish_matter)
    client.force_login(own_worker)
    response = _claim(client, unread)
    assert response.status_code == 302 and response["Location"] == "/wishes/C1/"
    assert Ticket.objects.get(pk=unread.pk).status == Status.SUBMITTED
    assert "not possible now" in client.get("/wishes/C1/").content.decode()


def test_a_bad_result_photo_leaves_the_wish_as_it_was(open_wish, own_worker, settings):
    from tests.tickets.test_public import _program

    wish = services.claim(by=own_worker, ticket=open_wish)
    with pytest.raises(ValidationError) as caught:
        services.resolve(by=own_worker, ticket=wish, result="已完成", photos=[jpeg(), _program()])
    assert "photos" in caught.value.message_dict
    wish = Ticket.objects.get(pk=wish.pk)
    assert wish.status == Status.ASSIGNED and not wish.photos.exists()
    root = settings.PRIVATE_MEDIA_ROOT
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_open_wishes_of_my_community_appear_in_my_tasks_pool(
    client, open_wish, member_worker, neighbour_worker, territory
):
    from tickets.selectors import open_pool

    assert open_wish in open_pool(member_worker)
    # A worker of the next grid takes requests in the same community: the wish is theirs too.
    assert open_wish in open_pool(neighbour_worker)
    from tests.factories import PostFactory

    stranger = PostFactory(area=territory.far_grid, role="part_time_worker").user
    assert open_wish not in open_pool(stranger)
    client.force_login(member_worker)
    pool = client.get("/tickets/mine/").context["pool"]
    assert open_wish.short_code in {t.short_code for t in pool}
