"""Visits (走访): when a household is due, logging exactly once, photos, scope, follow-up."""

import datetime as dt
import io
import uuid
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from grids import services
from grids.models import CareCategory, Household, Resident, ResidentCare
from tests.factories import HouseholdFactory, ResidentFactory
from tests.waiting import STALL_SECONDS, join
from visits import services as visits
from visits.models import Visit, VisitKind, VisitPhoto, VisitPlan

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 10, tzinfo=SH)


def jpeg(name="door.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _log(by, household=None, **extra):
    return visits.log_visit(
        by=by,
        client_id=extra.pop("client_id", uuid.uuid4()),
        kind=extra.pop("kind", VisitKind.ROUTINE),
        household=household,
        **extra,
    )


# --- Plans and due dates ---------------------------------------------------------------------


def test_a_new_household_is_due_after_the_routine_interval(clock, own_worker, territory):
    household = services.create_household(by=own_worker, grid=territory.grid, address="1幢101")
    assert household.visit_due_on == dt.date(2026, 11, 23) + dt.timedelta(days=90)


def test_an_elderly_person_living_alone_makes_the_household_due_weekly(
    clock, own_worker, territory
):
    household = services.create_household(by=own_worker, grid=territory.grid, address="1幢102")
    services.create_resident(
        by=own_worker, household=household, name="王奶奶", care=[CareCategory.ELDERLY_ALONE]
    )
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 11, 30)
    _log(own_worker, household)
    household.refresh_from_db()
    assert household.last_visited_at == MONDAY
    assert household.visit_due_on == dt.date(2026, 11, 30)
    # She moves to her daughter's: the routine interval applies again.
    resident = household.residents.get()
    services.update_resident(by=own_worker, resident=resident, status=Resident.Status.MOVED_OUT)
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 11, 23) + dt.timedelta(days=90)


def test_a_community_sets_its_own_intervals(clock, own_worker, territory):
    VisitPlan.objects.create(
        area=territory.community,
        routine_days=60,
        care_days={CareCategory.ELDERLY_ALONE: 3},
    )
    household = services.create_household(by=own_worker, grid=territory.grid, address="1幢103")
    assert household.visit_due_on == dt.date(2026, 11, 23) + dt.timedelta(days=60)
    services.create_resident(
        by=own_worker, household=household, name="李爷爷", care=[CareCategory.ELDERLY_ALONE]
    )
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 11, 26)


def test_a_plan_with_a_bad_interval_is_refused(territory):
    from django.core.exceptions import ValidationError

    plan = VisitPlan(area=territory.community, care_days={"elderly_alone": 0})
    with pytest.raises(ValidationError):
        plan.full_clean()


def test_due_views_split_overdue_today_and_this_week(clock, own_worker, territory, client):
    today = dt.date(2026, 11, 23)
    for address, due in [
        ("过期", today - dt.timedelta(days=3)),
        ("今天", today),
        ("周五", today + dt.timedelta(days=4)),
        ("下周", today + dt.timedelta(days=9)),
    ]:
        HouseholdFactory(grid=territory.grid, address=address, visit_due_on=due)
    client.force_login(own_worker)
    counts = client.get(reverse("my_visits")).context["counts"]
    assert (counts["overdue"], counts["today"], counts["week"], counts["all"]) == (1, 2, 3, 4)
    page = client.get(reverse("my_visits"), {"view": "week"}).context["page"]
    assert [h.address for h in page] == ["过期", "今天", "周五"]


def test_the_list_finds_a_household_by_the_last_four_digits_of_a_phone(
    own_worker, territory, client
):
    household = HouseholdFactory(grid=territory.grid, address="3幢501")
    ResidentFactory(household=household, phone="13912345678")
    HouseholdFactory(grid=territory.grid, address="3幢502")
    client.force_login(own_worker)
    page = client.get(reverse("my_visits"), {"view": "all", "q": "5678"}).context["page"]
    assert [h.address for h in page] == ["3幢501"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_worker_list_costs_the_same_queries_for_1_or_50_households(
    rows, own_worker, territory, client, django_assert_max_num_queries
):
    for n in range(rows):
        household = HouseholdFactory(grid=territory.grid, address=f"5幢{n}")
        ResidentFactory(household=household)
    client.force_login(own_worker)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("my_visits"), {"view": "all"})
    assert response.status_code == 200


# --- Logging exactly once ------------------------------------------------------------------------


def test_the_same_client_id_twice_is_one_visit(own_worker, household, client):
    client.force_login(own_worker)
    data = {
        "client_id": str(uuid.uuid4()),
        "household": household.pk,
        "kind": VisitKind.ROUTINE,
        "findings": "一切正常",
        "tags": ["all_well"],
    }
    json = {"HTTP_ACCEPT": "application/json"}
    first = client.post(reverse("visit_submit"), data, **json)
    again = client.post(reverse("visit_submit"), data, **json)
    assert (first.status_code, first.json()["status"]) == (201, "created")
    assert (again.status_code, again.json()["status"]) == (200, "exists")
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.count() == 1
    # The plain form (no JavaScript) says so too, and still writes nothing.
    plain = client.post(reverse("visit_submit"), data, follow=True)
    assert "already logged" in plain.content.decode()
    assert Visit.objects.count() == 1


def test_a_client_id_used_by_someone_else_is_refused(own_worker, household, territory):
    from django.core.exceptions import ValidationError

    from tests.conftest import _person

    leader = _person("leader_g1", "grid_leader", territory.grid)
    client_id = uuid.uuid4()
    _log(own_worker, household, client_id=client_id)
    with pytest.raises(ValidationError):
        _log(leader, household, client_id=client_id)
    assert Visit.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_store_one_visit(own_worker, household):
    """Two connections insert the same client_id at once: the loser returns the winner's."""
    import threading

    from django.db import connection

    client_id = uuid.uuid4()
    barrier = threading.Barrier(2)
    results = []

    def submit():
        try:
            barrier.wait(STALL_SECONDS)
            results.append(_log(own_worker, household, client_id=client_id).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    join(threads, what="both submissions to finish")
    assert sorted(results) == [False, True]
    assert Visit.objects.filter(client_id=client_id).count() == 1


def test_a_visit_with_a_photo_keeps_a_clean_copy(own_worker, household):
    logged = _log(own_worker, household, photos=[jpeg()])
    (photo,) = VisitPhoto.objects.filter(visit=logged.visit)
    assert photo.image.name.endswith(".jpg")


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_saved(own_worker, household, client):
    client.force_login(own_worker)
    response = client.post(
        reverse("visit_submit"),
        {
            "client_id": str(uuid.uuid4()),
            "household": household.pk,
            "kind": VisitKind.ROUTINE,
            "photos": [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "photos" in response.json()["errors"]
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_an_older_visit_arriving_late_does_not_move_the_last_visit_back(own_worker, household):
    _log(own_worker, household, visited_at=MONDAY)
    _log(own_worker, household, visited_at=MONDAY - dt.timedelta(days=2))  # queued offline
    household.refresh_from_db()
    assert household.last_visited_at == MONDAY


# --- Scope, as an attacker would try it -----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona_name", "status"),
    [("neighbour_worker", 404), ("other_street_officer", 404), ("street_officer", 403)],
)
def test_a_crafted_post_for_another_grids_household_is_refused(
    persona_name, status, persona, client, household
):
    persona(persona_name)
    response = client.post(
        reverse("visit_submit"),
        {"client_id": str(uuid.uuid4()), "household": household.pk, "kind": VisitKind.ROUTINE},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == status
    assert not Visit.objects.exists()


def test_a_place_is_patrolled_not_visited(own_worker, place):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        visits.log_visit(by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.ROUTINE, place=place)
    logged = visits.log_visit(
        by=own_worker, client_id=uuid.uuid4(), kind=VisitKind.PATROL, place=place
    )
    place.refresh_from_db()
    assert logged.created and place.last_visited_at == logged.visit.visited_at


# --- Follow-up: a request in the same step ------------------------------------------------------


def test_follow_up_needed_makes_a_request_routed_from_the_visit(own_worker, household, matter):
    from tickets.models import Channel, Status, Ticket

    logged = _log(
        own_worker,
        household,
        findings="楼道堆满纸箱，消防隐患",
        follow_up=True,
        follow_up_choice=matter.code,
        photos=[jpeg()],
    )
    ticket = Ticket.objects.get(visit=logged.visit)
    assert (ticket.channel, ticket.status, ticket.area, ticket.household) == (
        Channel.FIELD,
        Status.SUBMITTED,
        household.grid,  # a grid-owned matter: routed to the household's grid
        household,
    )
    assert ticket.description == "楼道堆满纸箱，消防隐患"
    assert ticket.photos.count() == 1 and ticket.reported_by == own_worker


def test_follow_up_without_a_request_type_saves_neither(own_worker, household, matter):
    from django.core.exceptions import ValidationError

    from tickets.models import Ticket

    with pytest.raises(ValidationError) as error:
        _log(own_worker, household, findings="漏水", follow_up=True)
    assert "follow_up_matter" in error.value.message_dict
    assert not Visit.objects.exists() and not Ticket.objects.exists()


def test_the_visit_form_offers_the_catalogue_and_opens_in_two_taps(
    own_worker, household, matter, client
):
    client.force_login(own_worker)
    listing = client.get(reverse("my_visits"), {"view": "all"}).content.decode()
    assert reverse("visit_household", kwargs={"pk": household.pk}) in listing
    form = client.get(reverse("visit_household", kwargs={"pk": household.pk}))
    choices = dict(form.context["form"].fields["follow_up_matter"].choices)
    assert matter.code in choices
    assert Household.objects.get(pk=household.pk).visit_due_on is None  # factory-made


# --- Supervision --------------------------------------------------------------------------------


def test_the_community_sees_coverage_overdue_care_and_each_workers_visits(
    clock, own_worker, community_officer, territory, client
):
    today = dt.date(2026, 11, 23)
    visited = HouseholdFactory(grid=territory.grid, address="A1", visit_due_on=today)
    lonely = HouseholdFactory(
        grid=territory.grid, address="A2", visit_due_on=today - dt.timedelta(days=2)
    )
    ResidentCare.objects.create(
        resident=ResidentFactory(household=lonely), category=CareCategory.ELDERLY_ALONE
    )
    HouseholdFactory(grid=territory.neighbour_grid, address="B1", visit_due_on=today)
    _log(own_worker, visited)
    client.force_login(community_officer)
    response = client.get(reverse("visit_report", kwargs={"code": territory.community.code}))
    totals = response.context["totals"]
    assert (totals["total"], totals["visited30"], totals["share30"]) == (3, 1, 33)
    assert (totals["overdue"], totals["overdue_care"]) == (1, 1)
    by_grid = {r["grid"]: r for r in response.context["rows"]}
    assert by_grid[territory.grid.name]["overdue_care"] == 1
    workers = {w["name"]: w for w in response.context["workers"]}
    assert workers[str(own_worker)]["week"] == workers[str(own_worker)]["month"] == 1
    export = client.get(reverse("visit_report_export", kwargs={"code": territory.community.code}))
    body = b"".join(export.streaming_content).decode()
    assert body.startswith("\ufeff") and "A1" in body and "A2" not in body


@pytest.mark.parametrize("grids", [1, 8])
def test_the_report_costs_the_same_queries_for_1_or_8_grids(
    grids, community_officer, territory, client, django_assert_max_num_queries
):
    for n in range(grids):
        HouseholdFactory(grid=territory.grid if n % 2 else territory.neighbour_grid)
    client.force_login(community_officer)
    with django_assert_max_num_queries(14):
        client.get(reverse("visit_report", kwargs={"code": territory.community.code}))


def test_a_queued_visit_keeps_the_time_the_worker_pressed_save(
    clock, own_worker, household, client
):
    client.force_login(own_worker)
    pressed = MONDAY - dt.timedelta(hours=3)
    data = {
        "client_id": str(uuid.uuid4()),
        "household": household.pk,
        "kind": VisitKind.ROUTINE,
        "visited_at": pressed.isoformat(),
    }
    response = client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    assert Visit.objects.get().visited_at == pressed
    data.update(client_id=str(uuid.uuid4()), visited_at="2020-01-01T10:00:00+08:00")
    response = client.post(reverse("visit_submit"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "visited_at" in response.json()["errors"]


# Not "page": that name is pytest-playwright's fixture, and borrowing it drags the browser
# tests (and their flush of the database) into the middle of the run.
@pytest.mark.parametrize("which", ["my_visits", "visit_household"])
def test_a_worker_page_weighs_under_150_kb_compressed(which, own_worker, household, client):
    """The budget for a cheap phone on a weak signal: the page and every asset it loads,
    gzipped as the server sends them (photos excepted)."""
    import gzip
    import re

    from django.contrib.staticfiles import finders

    for n in range(30):  # a realistic list page
        HouseholdFactory(grid=household.grid, address=f"9幢{n}")
    client.force_login(own_worker)
    url = (
        reverse("visit_household", kwargs={"pk": household.pk})
        if which == "visit_household"
        else reverse("my_visits") + "?view=all"
    )
    html = client.get(url).content
    total = len(gzip.compress(html))
    assets = set(re.findall(rb'(?:href|src)="/static/([^"?]+)"', html))
    assert any(a.endswith(b".js") for a in assets) and any(a.endswith(b".css") for a in assets)
    for asset in assets:
        path = finders.find(asset.decode())
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))
    assert total <= 150 * 1024, f"{total / 1024:.0f} KB"


def test_the_household_page_shows_its_open_requests_and_linked_members(
    own_worker, link, matter, client
):
    household = link.household
    logged = _log(
        own_worker, household, findings="漏水", follow_up=True, follow_up_choice=matter.code
    )
    ticket = logged.visit.tickets.get()
    client.force_login(own_worker)
    body = client.get(reverse("household_detail", kwargs={"pk": household.pk})).content.decode()
    assert ticket.short_code in body and "漏水" in body
    assert link.member.name in body


def test_a_grid_worker_adds_a_place_and_patrols_it(own_worker, territory, client):
    from visits.models import Place

    client.force_login(own_worker)
    url = reverse("area_places", kwargs={"code": territory.grid.code})
    response = client.post(url, {"name": "老街菜场", "kind": "public", "address": "老街1号"})
    assert response.status_code == 302
    place = Place.objects.get(name="老街菜场")
    assert place.grid == territory.grid
    # The same name twice in a grid: a clear message, nothing new.
    again = client.post(url, {"name": "老街菜场", "kind": "public"})
    assert again.status_code == 200 and again.context["form"].errors
    assert Place.objects.count() == 1
    page = client.get(url).content.decode()
    assert reverse("visit_place", kwargs={"pk": place.pk}) in page


@pytest.mark.parametrize("persona_name", ["neighbour_worker", "street_officer"])
def test_only_the_grids_own_workers_add_places_there(persona_name, persona, client, territory):
    from visits.models import Place

    persona(persona_name)
    url = reverse("area_places", kwargs={"code": territory.grid.code})
    response = client.post(url, {"name": "外人加的", "kind": "shop"})
    assert response.status_code in (403, 404)
    assert not Place.objects.exists()


def test_the_visit_form_offers_to_update_the_household_on_the_spot(
    own_worker, part_time_worker, resident, client
):
    url = reverse("visit_household", kwargs={"pk": resident.household.pk})
    client.force_login(own_worker)
    body = client.get(url).content.decode()
    assert reverse("resident_edit", kwargs={"pk": resident.pk}) in body
    assert resident.masked_phone in body and resident.phone not in body
    # A party member visits but does not edit the register.
    client.force_login(part_time_worker)
    body = client.get(url).content.decode()
    assert reverse("resident_edit", kwargs={"pk": resident.pk}) not in body


def test_the_list_walks_one_micro_grid_at_a_time(own_worker, territory, client):
    HouseholdFactory(grid=territory.grid, micro_grid=territory.micro, address="东1")
    HouseholdFactory(grid=territory.grid, micro_grid=territory.micro2, address="西1")
    client.force_login(own_worker)
    response = client.get(reverse("my_visits"), {"view": "all", "micro": territory.micro.code})
    assert [h.address for h in response.context["page"]] == ["东1"]
    assert {m.code for m in response.context["micro_grids"]} == {"G1-M1", "G1-M2"}


def test_a_plan_saved_or_removed_moves_its_households_due_dates(
    clock, own_worker, community_officer, territory
):
    household = services.create_household(by=own_worker, grid=territory.grid, address="8幢1")
    plan = visits.save_plan(
        by=community_officer, plan=VisitPlan(area=territory.community, routine_days=30)
    )
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 12, 23)
    visits.delete_plan(by=community_officer, plan=plan)
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 11, 23) + dt.timedelta(days=90)
    with pytest.raises(PermissionDenied):
        visits.save_plan(by=own_worker, plan=VisitPlan(area=territory.community))


def test_moving_a_household_to_another_community_takes_its_plan(clock, territory):
    from grids.models import Area
    from tests.factories import PostFactory, UserFactory

    officer = UserFactory(username="both_communities")
    for community in (territory.community, territory.other_community):
        PostFactory(user=officer, area=community, role="community_staff")
    VisitPlan.objects.create(area=territory.other_community, routine_days=20)
    household = services.create_household(by=officer, grid=territory.grid, address="9幢1")
    services.update_household(by=officer, household=household, grid=Area.objects.get(code="G3"))
    household.refresh_from_db()
    assert household.visit_due_on == dt.date(2026, 11, 23) + dt.timedelta(days=20)
