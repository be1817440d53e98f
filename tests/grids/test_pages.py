import csv
import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from grids.models import Household, Post, Resident
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number
from tests.stepup import confirm_password

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "landing"),
    [
        ("own_worker", "G1"),
        ("community_officer", "C1"),
        ("street_officer", "S1"),
        ("district_officer", "D"),
    ],
)
def test_my_area_leads_each_role_to_its_own_area(name, landing, persona, client):
    persona(name)
    response = client.get(reverse("my_area"))
    assert response.status_code == 302
    assert response["Location"] == reverse("area_detail", kwargs={"code": landing})


@pytest.mark.parametrize(
    ("name", "landing"),
    [
        ("own_worker", "my_visits"),
        ("part_time_worker", "my_visits"),
        ("community_officer", "ticket_board"),
        ("street_officer", "dashboard_home"),
        ("district_officer", "dashboard_home"),
    ],
)
def test_home_lands_each_role_on_what_it_does_most(name, landing, persona, client):
    persona(name)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    assert client.get(response["Location"], follow=True).status_code == 200


def test_a_user_without_a_post_is_told_so(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert b"No post yet" in response.content


def test_lists_show_masked_numbers_only(persona, client, resident):
    persona("own_worker")
    for url in [
        reverse("household_list", kwargs={"code": "G1"}),
        reverse("household_detail", kwargs={"pk": resident.household_id}),
    ]:
        body = client.get(url).content.decode()
        assert resident.phone not in body and resident.id_number not in body
        assert resident.masked_phone in body


def test_the_export_is_masked_and_scoped(persona, client, resident, other_household):
    ResidentFactory(household=other_household, name="邻格居民")
    persona("street_officer")
    response = client.get(reverse("household_export", kwargs={"code": "C1"}))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("Exported by ")  # the watermark (grids/exports.py)
    assert rows[1][6] == "ID number"
    data = {row[4]: row for row in rows[2:]}
    assert set(data) == {resident.name, "邻格居民"}
    assert data[resident.name][6] == resident.masked_id_number
    assert data[resident.name][7] == resident.masked_phone
    assert resident.id_number not in text and resident.phone not in text
    persona("own_worker")
    assert client.get(reverse("household_export", kwargs={"code": "G1"})).status_code == 403


def test_revealing_shows_the_full_value_once_and_logs_it(persona, client, resident):
    user = persona("own_worker")
    confirm_password(client)
    url = reverse("resident_reveal", kwargs={"pk": resident.pk, "field": "id_number"})
    # A link (GET) only shows the reason form: a crawler following it reveals nothing.
    asked = client.get(url)
    assert asked.status_code == 200 and resident.id_number not in asked.content.decode()
    response = client.post(url, {"reason": "visit"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert resident.id_number in response.content.decode()
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=user).count() == 1


def test_opening_the_resident_form_asks_why_and_is_logged(persona, client, resident):
    user = persona("own_worker")
    confirm_password(client)
    url = reverse("resident_edit", kwargs={"pk": resident.pk})
    asked = client.get(url).content.decode()
    assert resident.id_number not in asked
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()
    shown = client.post(url, {"_open": "1", "reason": "verification"}).content.decode()
    assert resident.id_number in shown
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, actor=user)
    assert entry.additional_data["revealed"] == ["id_number", "phone"]
    assert entry.additional_data["reason"] == "verification"
    assert entry.additional_data["reauthenticated"] is False


def test_search_finds_by_address_name_and_phone_tail(persona, client, territory):
    a = HouseholdFactory(grid=territory.grid, address="幸福花园1幢101室")
    b = HouseholdFactory(grid=territory.grid, address="和平里9号")
    ResidentFactory(household=b, name="张三丰", phone="13900001234")
    persona("own_worker")
    url = reverse("household_list", kwargs={"code": "G1"})

    def found(q):
        page = client.get(url, {"q": q}).context["page"]
        return {h.pk for h in page}

    assert found("幸福花园") == {a.pk}
    assert found("张三") == {b.pk}
    assert found("1234") == {b.pk}


def test_a_crafted_post_cannot_put_a_household_in_another_grid(persona, client, territory):
    persona("own_worker")
    response = client.post(
        reverse("household_create", kwargs={"code": "G1"}),
        {
            "grid": territory.neighbour_grid.pk,
            "address": "越权1号",
        },
    )
    assert response.status_code == 200
    assert "grid" in response.context["form"].errors
    assert not Household.objects.filter(address="越权1号").exists()


def test_a_neighbour_posting_an_edit_gets_404_and_changes_nothing(persona, client, household):
    persona("neighbour_worker")
    response = client.post(
        reverse("household_edit", kwargs={"pk": household.pk}),
        {
            "grid": household.grid_id,
            "address": "被改了",
            "version": household.version,
        },
    )
    assert response.status_code == 404
    assert Household.objects.get(pk=household.pk).address == household.address


def test_adding_a_resident_with_a_bad_id_shows_the_error_and_saves_nothing(
    persona, client, household
):
    persona("own_worker")
    response = client.post(
        reverse("resident_create", kwargs={"pk": household.pk}),
        {
            "name": "新居民",
            "relationship": "child",
            "id_number": "320412198005171230",
            "phone": "138 0000 0000",
            "status": "living",
        },
    )
    assert response.status_code == 200
    assert "check character" in str(response.context["form"].errors["id_number"])
    assert not Resident.objects.filter(name="新居民").exists()


def test_a_resident_can_be_added_through_the_form(persona, client, household):
    persona("own_worker")
    id_number = make_id_number()
    response = client.post(
        reverse("resident_create", kwargs={"pk": household.pk}),
        {
            "name": "新居民",
            "relationship": "child",
            "id_number": id_number.lower(),
            "phone": "+86 138 0000 0000",
            "status": "living",
            "care": ["disabled"],
        },
    )
    assert response.status_code == 302
    resident = Resident.objects.get(name="新居民")
    assert resident.phone == "13800000000" and resident.id_number == id_number.upper()
    assert list(resident.care.values_list("category", flat=True)) == ["disabled"]


def test_two_officers_editing_at_once_the_second_is_told_and_nothing_is_lost(
    persona, client, household
):
    persona("own_worker")
    url = reverse("household_edit", kwargs={"pk": household.pk})
    version = client.get(url).context["form"].initial["version"]
    base = {
        "grid": household.grid_id,
        "micro_grid": household.micro_grid_id,
        "longitude": household.longitude,
        "latitude": household.latitude,
        "version": version,
    }
    assert client.post(url, {**base, "address": "第一人的地址"}).status_code == 302
    response = client.post(url, {**base, "address": "第二人的地址"})
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert Household.objects.get(pk=household.pk).address == "第一人的地址"


def test_counts_on_a_street_page_leave_out_other_streets(persona, client, territory, household):
    from grids.tallies import refresh_tallies

    HouseholdFactory(grid=territory.other_street_grid)
    refresh_tallies()
    persona("street_officer")
    overview = client.get(reverse("area_detail", kwargs={"code": "S1"})).context["overview"]
    assert overview.total.households == 1
    assert overview.total.grids == 3


def test_a_community_officer_appoints_and_ends_a_post(persona, client, territory):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer")
    persona("community_officer")
    response = client.post(
        reverse("post_create", kwargs={"code": "C1"}),
        {
            "username": "newcomer",
            "area": territory.grid.pk,
            "role": "part_time_worker",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(user=newcomer)
    again = client.post(
        reverse("post_create", kwargs={"code": "C1"}),
        {
            "username": "newcomer",
            "area": territory.grid.pk,
            "role": "part_time_worker",
        },
    )
    assert "already holds this post" in again.content.decode()
    wrong_level = client.post(
        reverse("post_create", kwargs={"code": "C1"}),
        {
            "username": "newcomer",
            "area": territory.grid.pk,
            "role": "community_staff",
        },
    )
    assert wrong_level.status_code == 200 and Post.objects.filter(user=newcomer).count() == 1
    client.post(reverse("post_end", kwargs={"pk": post.pk}))
    post.refresh_from_db()
    assert post.ended_on is not None


def test_a_community_officer_cannot_appoint_outside_the_community(persona, client, territory):
    from tests.factories import UserFactory

    UserFactory(username="newcomer")
    persona("community_officer")
    response = client.post(
        reverse("post_create", kwargs={"code": "C1"}),
        {
            "username": "newcomer",
            "area": territory.far_grid.pk,
            "role": "grid_worker",
        },
    )
    assert "area" in response.context["form"].errors


def test_the_coverage_page_draws_and_lists_a_gap(persona, client, territory):
    from grids import services
    from tests.factories import box

    services.update_area(
        by=None, area=territory.neighbour_grid, boundary=box(120.15, 31.0, 120.2, 31.1)
    )
    services.update_area(by=None, area=territory.far_grid, boundary=box(120.0, 31.1, 120.1, 31.2))
    persona("district_officer")
    response = client.get(reverse("area_coverage", kwargs={"code": "D"}))
    body = response.content.decode()
    assert body.count("belongs to no area") == 2  # one gap in C1, one in C2
    assert 'class="gap"' in body
    assert len(response.context["problems"]) == 2


def test_landing_reads_only_the_posts(persona, client, django_assert_max_num_queries):
    persona("own_worker")
    client.get("/")
    # The session, the user and their posts: no query for the role's page.
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 302


def test_the_household_list_offers_adding_and_exporting_to_whoever_may(persona, client, territory):
    persona("own_worker")
    html = client.get(reverse("household_list", kwargs={"code": "G1"})).content.decode()
    assert reverse("household_create", kwargs={"code": "G1"}) in html
    persona("district_officer")
    html = client.get(reverse("household_list", kwargs={"code": "D"})).content.decode()
    assert reverse("household_export", kwargs={"code": "D"}) in html
    assert "/households/new/" not in html  # above a grid, nowhere to add one
