"""Joint actions (联合执法 / 联合处置): recorded by a street or community, linked to its
requests, noted on their timelines, listed on the area's page and the requests' pages."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import jpeg
from tests.tickets.fixtures import reported
from tickets import joint
from tickets.models import Department, Event, JointAction, JointActionPhoto, Status, Ticket

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 2)
NOW = timezone.make_aware(dt.datetime(2027, 3, 2, 16, 0))


@pytest.fixture
def departments(matter):
    police = Department.objects.create(code="a-police", name_en="Police", name_zh="派出所")
    city = Department.objects.create(code="b-city", name_en="City management", name_zh="城管")
    return police, city


def _record(by, area, tickets, departments, **kwargs):
    return joint.record(
        by=by,
        area=area,
        date=kwargs.pop("date", DAY),
        place=kwargs.pop("place", "幸福花园3幢"),
        departments=departments,
        outcome=kwargs.pop("outcome", "清理楼道杂物，约谈物业"),
        tickets=tickets,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_a_community_records_a_joint_action_on_two_requests_and_each_timeline_says_so(
    territory, matter, community_officer, departments
):
    first, second = reported(territory, matter, n=2)
    action = _record(
        community_officer, territory.community, [first, second], departments, photos=[jpeg()]
    )
    assert set(action.tickets.all()) == {first, second}
    assert set(action.departments.all()) == set(departments)
    assert action.recorded_by == community_officer and action.photos.count() == 1
    for ticket in (first, second):
        line = ticket.events.get(action=Event.Action.NOTE)
        # Public (an update on the resident's tracking page); departments, no staff name, and
        # not the outcome (it may name people).
        assert line.public and line.at == NOW
        assert line.note == "Joint action on March 2, 2027 with Police, City management"
        assert "约谈" not in line.note
        assert line.from_status == line.to_status == ticket.status


def test_a_street_officer_links_only_requests_of_the_actions_area(
    territory, matter, street_officer, departments
):
    in_c1 = reported(territory, matter)[0]
    in_c2 = reported(territory, matter, grid=territory.far_grid)[0]  # S1 sees it: not C1's
    with pytest.raises(ValidationError) as refused:
        _record(street_officer, territory.community, [in_c1, in_c2], departments)
    assert in_c2.short_code in str(refused.value.message_dict["tickets"])
    assert not JointAction.objects.exists() and not Event.objects.filter(action="note").exists()
    # At the street, both are its own.
    action = _record(street_officer, territory.street, [in_c1, in_c2], departments)
    assert action.tickets.count() == 2


def test_a_request_the_recorder_does_not_see_cannot_be_linked(
    territory, matter, community_officer, departments
):
    elsewhere = reported(territory, matter, grid=territory.other_street_grid)[0]
    with pytest.raises(ValidationError) as refused:
        _record(community_officer, territory.community, [elsewhere], departments)
    assert "tickets" in refused.value.message_dict


@pytest.mark.parametrize(
    "who, where",
    [
        ("own_worker", "grid"),  # a grid is no place for a joint action, nor a worker's
        ("own_worker", "community"),
        ("other_street_officer", "community"),
        ("community_officer", "grid"),
    ],
)
def test_only_officers_who_dispatch_at_a_street_or_community_record(
    request, territory, matter, departments, who, where
):
    user = request.getfixturevalue(who)
    ticket = reported(territory, matter)[0]
    with pytest.raises(PermissionDenied):
        _record(user, getattr(territory, where), [ticket], departments)


def test_a_joint_action_needs_departments_a_request_and_a_past_date(
    territory, matter, community_officer, departments
):
    ticket = reported(territory, matter)[0]
    with pytest.raises(ValidationError) as refused:
        _record(community_officer, territory.community, [], [], date=DAY + dt.timedelta(days=1))
    assert set(refused.value.message_dict) == {"departments", "tickets", "date"}
    departments[0].active = False
    departments[0].save()
    with pytest.raises(ValidationError) as refused:
        _record(community_officer, territory.community, [ticket], departments)
    assert set(refused.value.message_dict) == {"departments"}


def test_the_form_records_by_ticked_requests_and_typed_codes(
    client, territory, matter, community_officer, departments
):
    from tickets.models import Summons

    summoned, typed = reported(territory, matter, n=2)
    Summons.objects.create(
        ticket=summoned,
        department=departments[0],
        role="lead",
        summoned_at=timezone.now(),
        acknowledge_due=timezone.now() + dt.timedelta(hours=2),
        completion_due=timezone.now() + dt.timedelta(days=3),
    )
    client.force_login(community_officer)
    url = reverse("joint_action_new", kwargs={"code": territory.community.code})
    page = client.get(url + f"?ticket={typed.short_code}")
    assert page.status_code == 200
    # A summoned request is offered as a box; the code in the link is filled in.
    assert summoned.short_code in page.content.decode()
    assert page.context["form"]["codes"].value() == typed.short_code
    response = client.post(
        url,
        {
            "date": timezone.localdate().isoformat(),
            "place": "3幢门口",
            "departments": [d.pk for d in departments],
            "offered": [summoned.pk],
            "codes": typed.short_code.lower(),
            "outcome": "联合清理",
            "photos": [jpeg("a.jpg"), jpeg("b.jpg")],
        },
    )
    action = JointAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("joint_action_detail", kwargs={"pk": action.pk})
    assert set(action.tickets.all()) == {summoned, typed}
    assert action.photos.count() == 2
    detail = client.get(response["Location"]).content.decode()
    assert "联合清理" in detail and typed.short_code in detail


def test_the_form_names_a_code_that_is_not_the_areas(
    client, territory, matter, community_officer, departments
):
    elsewhere = reported(territory, matter, grid=territory.far_grid)[0]  # C2's
    client.force_login(community_officer)
    response = client.post(
        reverse("joint_action_new", kwargs={"code": territory.community.code}),
        {
            "date": timezone.localdate().isoformat(),
            "place": "x",
            "departments": [departments[0].pk],
            "codes": f"{elsewhere.short_code} NOPE1234",
            "outcome": "y",
        },
    )
    assert response.status_code == 200 and not JointAction.objects.exists()
    error = str(response.context["form"].errors["codes"])
    assert elsewhere.short_code in error and "NOPE1234" in error


def test_the_list_shows_the_areas_actions_in_constant_queries(
    client, territory, matter, street_officer, departments
):
    ticket = reported(territory, matter)[0]
    other = reported(territory, matter, grid=territory.other_street_grid)[0]
    foreign = JointAction.objects.create(
        area=territory.other_street, date=DAY, place="别处", outcome="-"
    )
    foreign.tickets.add(other)
    client.force_login(street_officer)
    url = reverse("joint_actions", kwargs={"code": territory.street.code})

    def make(n):
        for i in range(n):
            action = JointAction.objects.create(
                area=territory.community, date=DAY, place=f"地点{i}", outcome="-"
            )
            action.departments.set(departments)
            action.tickets.add(ticket)

    def count():
        client.get(url)
        cache.clear()  # the page as rendered, not as kept (tickets.page_cache)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return response, len(ctx.captured_queries)

    make(1)
    response, one = count()
    assert [a.place for a in response.context["page"]] == ["地点0"]
    make(49)
    response, fifty = count()
    assert fifty == one
    assert response.context["page"].paginator.count == 50
    assert "别处" not in response.content.decode()


def test_the_request_page_links_its_joint_actions_in_one_query(
    client, territory, matter, community_officer, own_worker, departments
):
    ticket = reported(territory, matter)[0]
    client.force_login(own_worker)
    url = reverse("ticket_detail", kwargs={"code": ticket.short_code})

    def count():
        client.get(url)
        cache.clear()  # the page as rendered, not as kept (tickets.page_cache)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return response.content.decode(), len(ctx.captured_queries)

    page, none = count()
    assert "Joint actions" not in page
    first = _record(community_officer, territory.community, [ticket], departments)
    page, one = count()
    # The line's one query runs only when the request has actions (the page's own query
    # says whether it has any).
    assert one == none + 1
    assert reverse("joint_action_detail", kwargs={"pk": first.pk}) in page
    for _ in range(4):
        _record(community_officer, territory.community, [ticket], departments)
    page, five = count()
    assert five == one
    assert page.count("/joint-actions/") == 5
    # The grid worker opens the action that settled their grid's request.
    assert client.get(reverse("joint_action_detail", kwargs={"pk": first.pk})).status_code == 200


def test_photos_are_served_to_those_who_see_the_action(
    client, joint_action, street_officer, other_street_officer
):
    photo = JointActionPhoto.objects.get()
    url = reverse("joint_action_photo", kwargs={"pk": photo.pk})
    client.force_login(street_officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(other_street_officer)
    assert client.get(url).status_code == 404


def test_the_detail_lists_only_the_requests_the_viewer_sees(
    client, territory, matter, street_officer, own_worker, departments
):
    mine = reported(territory, matter)[0]
    next_grid = reported(territory, matter, grid=territory.neighbour_grid)[0]
    action = _record(street_officer, territory.community, [mine, next_grid], departments)
    client.force_login(own_worker)
    page = client.get(reverse("joint_action_detail", kwargs={"pk": action.pk})).content.decode()
    assert mine.short_code in page and next_grid.short_code not in page


def test_the_area_page_links_the_joint_actions(client, territory, street_officer):
    client.force_login(street_officer)
    page = client.get(reverse("area_detail", kwargs={"code": territory.community.code}))
    assert reverse("joint_actions", kwargs={"code": territory.community.code}) in (
        page.content.decode()
    )


def test_the_resident_sees_an_update_but_not_the_outcome(
    client, territory, matter, community_officer, departments
):
    ticket = reported(territory, matter)[0]
    _record(
        community_officer,
        territory.community,
        [ticket],
        departments,
        date=timezone.localdate(),
        now=timezone.now(),
    )
    page = client.get(reverse("ticket_track", kwargs={"token": ticket.tracking_token}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "约谈" not in text and community_officer.username not in text


def test_recording_a_joint_action_is_in_its_audit_history_with_who_recorded_it(
    client, territory, matter, community_officer, own_worker, departments
):
    ticket = reported(territory, matter)[0]
    action = _record(community_officer, territory.community, [ticket], departments)

    entries = LogEntry.objects.get_for_object(action)
    assert entries.filter(action=LogEntry.Action.CREATE, actor=community_officer).exists()
    assert not entries.filter(actor__isnull=True).exists()
    client.force_login(community_officer)
    page = client.get(reverse("joint_action_detail", kwargs={"pk": action.pk}))
    history = page.context["history"]
    assert history and {change.actor for change in history} == {str(community_officer)}
    text = page.content.decode()
    assert "幸福花园3幢" in text.split('class="mt-3 mb-3 history"')[1]  # the place, as recorded


def test_the_audit_history_names_no_request_its_reader_may_not_see(
    client, territory, matter, street_officer, own_worker, departments
):
    mine = reported(territory, matter)[0]
    next_grid = reported(territory, matter, grid=territory.neighbour_grid)[0]
    action = _record(street_officer, territory.community, [mine, next_grid], departments)
    client.force_login(own_worker)
    page = client.get(reverse("joint_action_detail", kwargs={"pk": action.pk}))
    assert page.context["history"]
    assert next_grid.short_code not in page.content.decode()


def test_linking_a_request_notes_the_status_it_has_now(
    territory, matter, community_officer, departments
):
    ticket = reported(territory, matter)[0]
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.ACCEPTED)
    _record(
        community_officer,
        territory.community,
        [stale],
        departments,
        now=timezone.now(),
        date=timezone.localdate(),
    )
    line = Event.objects.filter(ticket=ticket, action=Event.Action.NOTE).get()
    assert line.from_status == line.to_status == Status.ACCEPTED


def test_the_resident_s_line_names_the_departments_of_the_joint_action(
    client, territory, matter, community_officer, departments
):
    ticket = reported(territory, matter)[0]
    community_officer.display_name = "社区李主任"
    community_officer.save()
    _record(
        community_officer,
        territory.community,
        [ticket],
        departments,
        date=timezone.localdate(),
        now=timezone.now(),
    )
    page = client.get(
        reverse("ticket_track", kwargs={"token": ticket.tracking_token}), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Joint action with Police, City management" in page
    assert "社区李主任" not in page and "幸福花园" not in page
