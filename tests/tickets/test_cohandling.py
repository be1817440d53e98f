"""Co-handling (吹哨报到 with several departments): a street or community officer summons a
lead and co-handlers; each acknowledges and reports its part; the lead resolves once the parts
are in, or the street overrides with a reason; the sweep reminds and escalates a department
that does not acknowledge, exactly once."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from grids.roles import Role
from notifications.models import NoticeKind, Notification
from tests.factories import PostFactory, UserFactory, jpeg
from tickets import notices, services, sweep
from tickets.models import Department, Event, Status, Summons, SummonsRole, SummonsState, Ticket

pytestmark = pytest.mark.django_db


def _department(code: str, name: str, *members) -> Department:
    department, _created = Department.objects.update_or_create(
        code=code, defaults={"name_en": code.title(), "name_zh": name, "active": True}
    )
    department.members.set(members)
    return department


@pytest.fixture
def police():
    return UserFactory(username="police_officer")


@pytest.fixture
def housing():
    return UserFactory(username="housing_officer")


@pytest.fixture
def market():
    return UserFactory(username="market_officer")


@pytest.fixture
def departments(police, housing, market):
    return (
        _department("police", "派出所", police),
        _department("housing", "住建局", housing),
        _department("market", "市场监管所", market),
    )


def _summon(by, ticket, departments, **limits):
    lead, *co = departments
    return services.summon(
        by=by, ticket=ticket, lead=lead, co=co, reason="群租房隐患，需联合处置", **limits
    )


# --- Summoning -------------------------------------------------------------------------------


def test_street_officer_summons_a_lead_and_co_handlers(
    ticket, street_officer, departments, police, housing, market
):
    summonses = _summon(street_officer, ticket, departments)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.department) == (Status.ASSIGNED, departments[0])
    assert ticket.escalation_level == 1 and ticket.escalated_at is not None
    assert [s.role for s in summonses] == [SummonsRole.LEAD, SummonsRole.CO, SummonsRole.CO]
    assert all(s.state == SummonsState.SUMMONED for s in summonses)
    # The catalogue's limits: the matter's response limit to acknowledge, completion for parts.
    lead = summonses[0]
    assert lead.acknowledge_due == services.due(
        lead.summoned_at, ticket.matter.response_limit, ticket.matter.response_unit
    )
    assert ticket.completion_due == lead.completion_due
    event = ticket.events.get(action=Event.Action.ESCALATE)
    assert all(d.name in event.note for d in departments)
    told = set(
        Notification.objects.filter(kind=NoticeKind.SUMMONED).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {police.username, housing.username, market.username}


def test_limits_set_on_the_summons_form_replace_the_catalogue(ticket, street_officer, departments):
    lead = _summon(street_officer, ticket, departments, acknowledge_hours=2, completion_hours=48)[0]
    assert lead.acknowledge_due - lead.summoned_at == dt.timedelta(hours=2)
    assert lead.completion_due - lead.summoned_at == dt.timedelta(hours=48)


def test_community_officer_may_summon(ticket, community_officer, departments):
    assert len(_summon(community_officer, ticket, departments)) == 3


def test_lead_cannot_also_be_a_co_handler(ticket, street_officer, departments):
    lead = departments[0]
    with pytest.raises(ValidationError):
        services.summon(by=street_officer, ticket=ticket, lead=lead, co=[lead], reason="x")
    assert not Summons.objects.exists()


def test_inactive_department_cannot_be_summoned(ticket, street_officer, departments):
    Department.objects.filter(pk=departments[2].pk).update(active=False)
    departments[2].refresh_from_db()
    with pytest.raises(ValidationError, match="Market"):
        _summon(street_officer, ticket, departments)
    assert not Summons.objects.exists()


def test_summons_needs_a_reason(ticket, street_officer, departments):
    lead, *co = departments
    with pytest.raises(ValidationError):
        services.summon(by=street_officer, ticket=ticket, lead=lead, co=co, reason="  ")


def test_grid_leader_and_worker_may_not_summon(ticket, territory, own_worker, departments):
    leader = UserFactory(username="leader_g1")
    PostFactory(user=leader, area=territory.grid, role=Role.GRID_LEADER)
    for person in (leader, own_worker):
        with pytest.raises(PermissionDenied):
            _summon(person, ticket, departments)


def test_grid_worker_posting_the_summons_form_is_refused(client, ticket, own_worker, departments):
    client.force_login(own_worker)
    response = client.post(
        reverse("ticket_summon", args=[ticket.short_code]),
        {"version": ticket.version, "lead": departments[0].pk, "reason": "x"},
    )
    assert response.status_code == 403
    assert not Summons.objects.exists()


def test_officer_summons_from_the_request_page(client, ticket, street_officer, departments):
    client.force_login(street_officer)
    page = client.get(reverse("ticket_detail", args=[ticket.short_code])).content.decode()
    assert reverse("ticket_summon", args=[ticket.short_code]) in page
    response = client.post(
        reverse("ticket_summon", args=[ticket.short_code]),
        {
            "version": ticket.version,
            "lead": departments[0].pk,
            "co": [departments[1].pk, departments[2].pk],
            "acknowledge_hours": "4",
            "reason": "联合处置",
        },
    )
    assert response.status_code == 302
    assert Summons.objects.filter(ticket=ticket).count() == 3


def test_a_request_is_summoned_once_until_overridden(ticket, street_officer, departments):
    _summon(street_officer, ticket, departments)
    with pytest.raises(ValidationError):
        services.summon(
            by=street_officer, ticket=ticket, lead=departments[1], co=[], reason="再吹一次"
        )


# --- 报到 and parts ----------------------------------------------------------------------------


def test_each_department_acknowledges_for_itself(
    ticket, street_officer, departments, police, housing, market
):
    lead, co_housing, co_market = _summon(street_officer, ticket, departments)
    with pytest.raises(PermissionDenied):
        services.acknowledge_summons(by=police, summons=co_housing)

    services.acknowledge_summons(by=police, summons=lead)
    services.acknowledge_summons(by=housing, summons=co_housing)
    services.acknowledge_summons(by=market, summons=co_market)

    states = dict(Summons.objects.values_list("department__code", "state"))
    assert set(states.values()) == {SummonsState.ACKNOWLEDGED}
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is not None  # the lead's 报到 is the request's
    assert all(s.acknowledged_on_time() for s in Summons.objects.all())
    assert ticket.events.filter(action=Event.Action.ACKNOWLEDGE).count() == 3
    with pytest.raises(ValidationError):
        services.acknowledge_summons(by=housing, summons=co_housing)


def test_lead_cannot_resolve_until_the_parts_are_in(
    ticket, street_officer, departments, police, housing, market
):
    lead, co_housing, co_market = _summon(street_officer, ticket, departments)
    for person, summons in ((police, lead), (housing, co_housing), (market, co_market)):
        services.acknowledge_summons(by=person, summons=summons)
    with pytest.raises(ValidationError, match="Housing"):
        services.resolve(by=police, ticket=ticket, result="已处置", photos=[jpeg()])

    with pytest.raises(ValidationError):  # a part is reported after 报到, not before
        services.report_part(by=police, summons=lead, report="主办")
    services.report_part(by=housing, summons=co_housing, report="房屋安全已检查", photos=[jpeg()])
    services.report_part(by=market, summons=co_market, report="无照经营已取缔")
    ticket = services.resolve(by=police, ticket=ticket, result="群租已清退", photos=[jpeg()])

    assert ticket.status == Status.RESOLVED
    assert set(Summons.objects.values_list("state", flat=True)) == {SummonsState.DONE}
    part = Summons.objects.get(pk=co_housing.pk)
    assert part.report_event.photos.count() == 1 and part.reported_on_time()


def test_part_cannot_be_reported_before_acknowledging(ticket, street_officer, departments, housing):
    co_housing = _summon(street_officer, ticket, departments)[1]
    with pytest.raises(ValidationError):
        services.report_part(by=housing, summons=co_housing, report="已检查")


def test_street_overrides_missing_parts_with_a_reason_and_the_lead_resolves(
    ticket, street_officer, community_officer, departments, police, housing
):
    lead, co_housing, co_market = _summon(community_officer, ticket, departments)
    services.acknowledge_summons(by=police, summons=lead)
    services.acknowledge_summons(by=housing, summons=co_housing)
    services.report_part(by=housing, summons=co_housing, report="已检查")
    with pytest.raises(PermissionDenied):  # the community does not override: the street does
        services.override_cohandling(by=community_officer, ticket=ticket, reason="等不及")
    with pytest.raises(ValidationError):
        services.override_cohandling(by=street_officer, ticket=ticket, reason=" ")

    services.override_cohandling(by=street_officer, ticket=ticket, reason="市场监管所已在别案处理")

    assert Summons.objects.get(pk=co_market.pk).state == SummonsState.WITHDRAWN
    assert Summons.objects.get(pk=co_housing.pk).state == SummonsState.DONE
    assert ticket.events.filter(note__contains="市场监管所已在别案处理", public=False).exists()
    ticket = services.resolve(by=police, ticket=ticket, result="已处置", photos=[jpeg()])
    assert ticket.status == Status.RESOLVED


def test_street_override_may_resolve_the_request_itself(ticket, street_officer, departments):
    _summon(street_officer, ticket, departments)
    ticket = services.override_cohandling(
        by=street_officer, ticket=ticket, reason="部门未到，街道直接处置", result="街道已处置"
    )
    assert ticket.status == Status.RESOLVED
    assert ticket.events.filter(action=Event.Action.RESOLVE, note="街道已处置").exists()


def test_member_acknowledges_and_reports_from_the_page(
    client, ticket, street_officer, departments, housing
):
    co_housing = _summon(street_officer, ticket, departments)[1]
    client.force_login(housing)
    page = client.get(reverse("ticket_detail", args=[ticket.short_code])).content.decode()
    acknowledge = reverse("summons_acknowledge", args=[ticket.short_code, co_housing.pk])
    assert acknowledge in page
    assert client.post(acknowledge, {"version": co_housing.version}).status_code == 302
    co_housing.refresh_from_db()
    report = reverse("summons_report", args=[ticket.short_code, co_housing.pk])
    assert report in client.get(reverse("ticket_detail", args=[ticket.short_code])).content.decode()
    response = client.post(
        report, {"version": co_housing.version, "report": "已检查", "photos": [jpeg()]}
    )
    assert response.status_code == 302
    co_housing.refresh_from_db()
    assert co_housing.state == SummonsState.DONE


# --- Who sees it -------------------------------------------------------------------------------


def test_summoned_department_members_see_the_request_and_others_do_not(
    client, ticket, street_officer, departments, housing
):
    outsider = UserFactory(username="water_officer")
    _department("water", "水务局", outsider)
    _summon(street_officer, ticket, departments)

    assert Ticket.objects.visible_to(housing).filter(pk=ticket.pk).exists()
    client.force_login(outsider)
    assert client.get(reverse("ticket_detail", args=[ticket.short_code])).status_code == 404
    client.force_login(housing)
    assert client.get(reverse("ticket_detail", args=[ticket.short_code])).status_code == 200


def test_summoned_part_is_on_the_members_my_tasks(
    client, ticket, street_officer, departments, market
):
    _summon(street_officer, ticket, departments)
    client.force_login(market)
    page = client.get(reverse("my_tasks")).content.decode()
    assert ticket.short_code in page


def test_resident_tracking_page_names_departments_never_staff(
    client, ticket, street_officer, departments, police
):
    street_officer.display_name = "街道王科长"
    street_officer.save()
    lead = _summon(street_officer, ticket, departments)[0]
    services.acknowledge_summons(by=police, summons=lead)
    page = client.get(reverse("ticket_track", args=[ticket.tracking_token])).content.decode()
    assert "街道王科长" not in page and str(police) not in page


def test_resident_tracking_page_names_the_summoned_departments(
    client, ticket, street_officer, departments, police, housing
):
    for user, name in ((street_officer, "街道王科长"), (police, "民警张伟"), (housing, "科员黄敏")):
        user.display_name = name
        user.save()
    lead, co_housing, _co_market = _summon(street_officer, ticket, departments)
    services.acknowledge_summons(by=police, summons=lead)
    services.acknowledge_summons(by=housing, summons=co_housing)
    services.report_part(by=housing, summons=co_housing, report="住建局科员黄敏拆除隔断")
    page = client.get(
        reverse("ticket_track", args=[ticket.tracking_token]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Summoned: Police (lead), Housing, Market" in page
    assert "Police acknowledged (报到)" in page and "Housing acknowledged (报到)" in page
    assert "Housing reported its part" in page
    assert "The higher level has taken it on" not in page
    for user in (street_officer, police, housing):
        assert user.display_name not in page and user.username not in page
    assert "拆除隔断" not in page  # the part's text stays with the staff


# --- The sweep ---------------------------------------------------------------------------------


def _told(kind, summons):
    return Notification.objects.filter(kind=kind, key__endswith=f":s{summons.pk}")


def test_sweep_reminds_then_escalates_a_late_department_exactly_once(
    ticket, territory, street_officer, community_officer, departments, housing, police
):
    summonses = _summon(community_officer, ticket, departments, acknowledge_hours=10)
    lead, co_housing = summonses[0], summonses[1]
    services.acknowledge_summons(by=police, summons=lead)
    start = co_housing.summoned_at

    for _run in range(2):
        sweep.sweep(now=start + dt.timedelta(hours=5, minutes=1))
    assert list(_told(NoticeKind.REMINDER, co_housing).values_list("recipient", "level")) == [
        (housing.pk, 50)
    ]
    assert not _told(NoticeKind.REMINDER, lead).exists()  # acknowledged: nothing to remind

    for _run in range(2):
        sweep.sweep(now=start + dt.timedelta(hours=8, minutes=1))
    assert _told(NoticeKind.REMINDER, co_housing).count() == 2  # 50 % and 80 %, once each

    late = start + dt.timedelta(hours=10, minutes=1)
    for _run in range(2):
        sweep.sweep(now=late)
        sweep.sweep(now=late + dt.timedelta(hours=3))
    told = set(_told(NoticeKind.SUMMONS_LATE, co_housing).values_list("recipient", flat=True))
    assert told == {street_officer.pk, community_officer.pk}  # the street's, and who summoned
    assert _told(NoticeKind.SUMMONS_LATE, co_housing).count() == 2
    co_housing.refresh_from_db()
    assert co_housing.escalated_at == late and co_housing.next_check_at is None


def test_sweep_catching_up_sends_only_the_latest_point(
    ticket, street_officer, departments, housing
):
    co_housing = _summon(street_officer, ticket, departments, acknowledge_hours=10)[1]
    sweep.sweep(now=co_housing.summoned_at + dt.timedelta(hours=12))

    assert not _told(NoticeKind.REMINDER, co_housing).exists()
    assert _told(NoticeKind.SUMMONS_LATE, co_housing).filter(recipient=street_officer).count() == 1


def test_acknowledging_stops_the_acknowledge_sweep(ticket, street_officer, departments, housing):
    co_housing = _summon(street_officer, ticket, departments, acknowledge_hours=10)[1]
    services.acknowledge_summons(by=housing, summons=co_housing)
    co_housing.refresh_from_db()
    # What is left to watch is the part's completion limit.
    assert co_housing.next_check_at == co_housing.completion_due
    sweep.sweep(now=co_housing.summoned_at + dt.timedelta(hours=12))
    assert not _told(NoticeKind.SUMMONS_LATE, co_housing).exists()
    assert not _told(NoticeKind.REMINDER, co_housing).exists()


def _acknowledged_parts(by, ticket, departments, police, housing):
    lead, co_housing, _co_market = _summon(
        by, ticket, departments, acknowledge_hours=2, completion_hours=10
    )
    services.acknowledge_summons(by=police, summons=lead)
    services.acknowledge_summons(by=housing, summons=co_housing)
    co_housing.refresh_from_db()
    return lead, co_housing


def test_sweep_tells_a_late_part_to_its_department_and_the_lead_exactly_once(
    ticket, street_officer, departments, police, housing
):
    lead, co_housing = _acknowledged_parts(street_officer, ticket, departments, police, housing)
    late = co_housing.completion_due + dt.timedelta(minutes=1)
    for _run in range(2):
        sweep.sweep(now=late)
        sweep.sweep(now=late + dt.timedelta(hours=3))

    told = _told(NoticeKind.OVERDUE, co_housing)
    assert sorted(told.values_list("recipient", flat=True)) == sorted([housing.pk, police.pk])
    assert told.first().params["stage"] == "part"
    # The lead's part is the request's: its own deadline tells, not the part's sweep.
    assert not _told(NoticeKind.OVERDUE, lead).exists()
    co_housing.refresh_from_db()
    assert co_housing.next_check_at is None


def test_a_part_reported_in_time_is_never_overdue(
    ticket, street_officer, departments, police, housing
):
    _lead, co_housing = _acknowledged_parts(street_officer, ticket, departments, police, housing)
    services.report_part(by=housing, summons=co_housing, report="已拆除隔断")
    sweep.sweep(now=co_housing.completion_due + dt.timedelta(hours=1))
    assert not _told(NoticeKind.OVERDUE, co_housing).exists()


def test_sweep_catching_up_on_a_late_part_sends_only_the_overdue_notice(
    ticket, street_officer, departments, police, housing
):
    # No sweep ran while the department was late to acknowledge, nor until its part was due.
    co_housing = _summon(
        street_officer, ticket, departments, acknowledge_hours=2, completion_hours=10
    )[1]
    with time_machine.travel(co_housing.summoned_at + dt.timedelta(hours=4)):
        services.acknowledge_summons(by=housing, summons=co_housing)
    sweep.sweep(now=co_housing.summoned_at + dt.timedelta(hours=20))

    assert not _told(NoticeKind.REMINDER, co_housing).exists()
    assert not _told(NoticeKind.SUMMONS_LATE, co_housing).exists()
    assert _told(NoticeKind.OVERDUE, co_housing).filter(recipient=housing).count() == 1


def test_the_late_part_notice_names_the_department(
    ticket, street_officer, departments, police, housing
):
    _lead, co_housing = _acknowledged_parts(street_officer, ticket, departments, police, housing)
    sweep.sweep(now=co_housing.completion_due + dt.timedelta(minutes=1))
    notice = _told(NoticeKind.OVERDUE, co_housing).get(recipient=housing)
    with translation.override("en"):
        text = notices.describe(notice)
    assert "Housing" in str(text.title) and ticket.short_code in str(text.title)


# --- Joint actions from the request page -------------------------------------------------------


def test_officers_who_record_joint_actions_get_the_link_with_the_request_filled_in(
    client, ticket, territory, street_officer, community_officer, departments
):
    url = reverse("ticket_detail", args=[ticket.short_code])
    client.force_login(street_officer)
    assert "joint-action-new" not in client.get(url).content.decode()  # nobody summoned yet

    _summon(street_officer, ticket, departments)
    for officer, area in (
        (street_officer, territory.street),
        (community_officer, territory.community),
    ):
        client.force_login(officer)
        link = f"{reverse('joint_action_new', args=[area.code])}?ticket={ticket.short_code}"
        assert link in client.get(url).content.decode().replace("&amp;", "&")
        form = client.get(link)
        assert form.status_code == 200
        assert form.context["form"]["codes"].value() == ticket.short_code


def test_department_members_and_grid_workers_get_no_joint_action_link(
    client, ticket, street_officer, own_worker, departments, housing
):
    _summon(street_officer, ticket, departments)
    for user in (own_worker, housing):
        client.force_login(user)
        page = client.get(reverse("ticket_detail", args=[ticket.short_code]))
        assert page.status_code == 200
        assert "joint-action-new" not in page.content.decode()


def test_a_missed_acknowledgement_stays_on_the_league_after_the_street_overrides(
    ticket, territory, street_officer, departments, police, housing
):
    """The street stops waiting for a department the sweep escalated: the month's league
    still counts it as summoned and not acknowledged in time (not as if never summoned)."""
    from django.utils import timezone

    from dashboards.departments import league, month

    lead, co_housing, co_market = _summon(street_officer, ticket, departments, acknowledge_hours=2)
    services.acknowledge_summons(by=police, summons=lead)
    services.acknowledge_summons(by=housing, summons=co_housing)
    services.report_part(by=housing, summons=co_housing, report="已约谈房东")
    late = co_market.summoned_at + dt.timedelta(hours=2, minutes=1)
    sweep.sweep(now=late)
    services.override_cohandling(by=street_officer, ticket=ticket, reason="食品问题已查扣")

    co_market.refresh_from_db()
    assert co_market.state == SummonsState.WITHDRAWN and co_market.escalated_at == late
    rows = {
        row.department.code: row
        for row in league(
            territory.street, month(None, timezone.localdate(co_market.summoned_at)), now=late
        )
    }
    market = rows["market"]
    assert (market.summoned, market.acknowledged_on_time, market.acknowledge_settled) == (1, 0, 1)
    assert (market.parts_settled, market.rated) == (0, 0)  # its part was no longer waited for
    assert (rows["housing"].acknowledged_on_time, rows["housing"].acknowledge_settled) == (1, 1)


# --- The page's cost ---------------------------------------------------------------------------


# The page as the co-handling branch left it (17), plus the joint actions line (one query).
PAGE = 18


def _page_queries(client, django_assert_max_num_queries, ticket, user, limit):
    client.force_login(user)
    with django_assert_max_num_queries(limit):
        response = client.get(reverse("ticket_detail", args=[ticket.short_code]))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("n", [1, 5])
def test_request_page_costs_the_same_with_one_or_five_summonses(
    n, client, django_assert_max_num_queries, ticket, street_officer, housing
):
    members = [housing] + [UserFactory(username=f"member{i}") for i in range(4)]
    departments = [_department(f"d{i}", f"部门{i}", members[i]) for i in range(n)]
    lead, *co = departments
    services.summon(by=street_officer, ticket=ticket, lead=lead, co=co, reason="联合")
    # The same bound with one department or five: no query per summons.
    body = _page_queries(client, django_assert_max_num_queries, ticket, street_officer, PAGE)
    assert body.content.decode().count("summons-summoned") == n
    assert "joint-action-new" in body.content.decode()  # the street records: no query more
    _page_queries(client, django_assert_max_num_queries, ticket, housing, PAGE)
