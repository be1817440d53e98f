import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from grids import services
from grids.models import Post
from grids.roles import Role
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-Secret-2026"


def _give_new(client, grid, **extra):
    data = {"role": Role.GRID_WORKER, "display_name": "李明", "phone": "13800138000"}
    data.update(extra)
    return client.post(reverse("post_give", args=[grid.code]), data)


def _sign_in(username, password) -> Client:
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return browser


def test_a_community_officer_gives_a_vacant_post_to_a_new_person(
    client, territory, community_officer
):
    client.force_login(community_officer)
    response = _give_new(client, territory.grid)
    assert response.status_code == 200
    password = response.context["password"]
    assert password and password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    person = get_user_model().objects.get(phone="13800138000")
    assert person.must_change_password
    assert person.check_password(password)
    assert Post.objects.get(user=person).area == territory.grid
    entry = LogEntry.objects.get_for_object(person).get()
    assert entry.actor == community_officer
    assert password not in str(entry.changes)


def test_the_new_person_must_change_the_temporary_password_then_reaches_their_grid(
    client, territory, community_officer
):
    client.force_login(community_officer)
    password = _give_new(client, territory.grid).context["password"]
    person = get_user_model().objects.get(phone="13800138000")

    browser = _sign_in(person.username, password)
    grid_page = reverse("area_detail", args=[territory.grid.code])
    response = browser.get(grid_page)
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert "temporary password" in browser.get(reverse("password_change")).content.decode()
    response = browser.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.must_change_password
    assert browser.get(grid_page).status_code == 200


def test_a_new_person_with_a_taken_user_name_is_refused_and_nothing_is_written(
    client, territory, community_officer
):
    UserFactory(username="taken")
    client.force_login(community_officer)
    response = _give_new(client, territory.grid, username="taken")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not get_user_model().objects.filter(phone="13800138000").exists()


def test_an_existing_person_in_scope_can_be_given_a_second_post(
    client, territory, community_officer, neighbour_worker
):
    client.force_login(community_officer)
    response = client.post(
        reverse("post_give", args=[territory.grid.code]),
        {"role": Role.VOLUNTEER, "person": neighbour_worker.pk},
    )
    assert response.status_code == 302
    assert Post.objects.filter(user=neighbour_worker, area=territory.grid).exists()


def test_a_street_officer_cannot_reach_or_appoint_in_another_street(
    client, territory, street_officer
):
    client.force_login(street_officer)
    far = territory.other_street_grid
    assert client.get(reverse("area_people", args=[far.code])).status_code == 404
    assert client.get(reverse("post_give", args=[far.code])).status_code == 404
    assert _give_new(client, far).status_code == 404
    with pytest.raises(PermissionDenied):
        services.give_post(
            by=street_officer,
            area=far,
            role=Role.GRID_WORKER,
            new=services.NewPerson(display_name="王五", phone="13900139000"),
        )
    assert not get_user_model().objects.filter(phone="13900139000").exists()


def test_a_street_officer_cannot_give_a_district_post(client, territory, street_officer):
    client.force_login(street_officer)
    response = client.post(
        reverse("post_give", args=[territory.street.code]),
        {"role": Role.DISTRICT_STAFF, "display_name": "王五", "phone": "13900139000"},
    )
    assert response.status_code == 200 and "role" in response.context["form"].errors
    with pytest.raises(PermissionDenied):
        services.give_post(
            by=street_officer,
            area=territory.district,
            role=Role.DISTRICT_STAFF,
            new=services.NewPerson(display_name="王五", phone="13900139000"),
        )
    assert not get_user_model().objects.filter(phone="13900139000").exists()


def test_a_street_officer_cannot_reset_the_district_officer_or_someone_posted_elsewhere(
    client, territory, street_officer, district_officer
):
    both = UserFactory(username="both")
    PostFactory(user=both, area=territory.grid, role=Role.VOLUNTEER)
    PostFactory(user=both, area=territory.other_street_grid, role=Role.VOLUNTEER)
    PostFactory(user=district_officer, area=territory.grid, role=Role.VOLUNTEER)
    client.force_login(street_officer)
    for person in (both, district_officer):
        url = reverse("person_reset_password", args=[territory.street.code, person.pk])
        assert client.post(url).status_code == 404
        with pytest.raises(PermissionDenied):
            services.reset_password_for(by=street_officer, person=person)
        person.refresh_from_db()
        assert not person.must_change_password
    page = client.get(reverse("area_people", args=[territory.street.code]))
    manage = reverse("person_detail", args=[territory.street.code, both.pk])
    assert "both" in page.content.decode() and manage not in page.content.decode()


def test_an_officer_resets_a_password_in_scope(client, territory, street_officer, own_worker):
    client.force_login(street_officer)
    url = reverse("person_reset_password", args=[territory.street.code, own_worker.pk])
    password = client.post(url).context["password"]
    own_worker.refresh_from_db()
    assert own_worker.check_password(password) and own_worker.must_change_password
    assert LogEntry.objects.get_for_object(own_worker).get().actor == street_officer


def test_deactivation_ends_the_persons_sessions_and_reactivation_restores_them(
    client, territory, community_officer, own_worker
):
    worker = Client()
    worker.force_login(own_worker)
    grid_page = reverse("area_detail", args=[territory.grid.code])
    assert worker.get(grid_page).status_code == 200

    client.force_login(community_officer)
    url = reverse("person_set_active", args=[territory.community.code, own_worker.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    response = worker.get(grid_page)
    assert response.status_code == 302 and reverse("login") in response["Location"]

    assert client.post(url, {"active": "1"}).status_code == 302
    own_worker.refresh_from_db()
    assert own_worker.is_active
    assert _sign_in("own_worker", "pw-for-tests-2026").get(grid_page).status_code == 200


def test_an_officer_edits_a_persons_name_and_mobile(
    client, territory, community_officer, own_worker
):
    client.force_login(community_officer)
    url = reverse("person_detail", args=[territory.community.code, own_worker.pk])
    response = client.post(url, {"display_name": "张三", "phone": "13700137000"})
    assert response.status_code == 302
    own_worker.refresh_from_db()
    assert (own_worker.display_name, own_worker.phone) == ("张三", "13700137000")
    bad = client.post(url, {"display_name": "张三", "phone": "123"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_a_worker_gets_404_and_sees_no_links(client, territory, own_worker):
    client.force_login(own_worker)
    code = territory.grid.code
    for name in ("area_people", "post_give"):
        assert client.get(reverse(name, args=[code])).status_code == 404
    assert client.get(reverse("person_detail", args=[code, own_worker.pk])).status_code == 404
    for page in ("area_detail", "area_staffing"):
        body = client.get(reverse(page, args=[code])).content.decode()
        assert reverse("area_people", args=[code]) not in body
        assert reverse("post_give", args=[code]) not in body


def test_the_officer_sees_the_people_link_and_give_links(client, territory, community_officer):
    client.force_login(community_officer)
    code = territory.community.code
    body = client.get(reverse("area_detail", args=[code])).content.decode()
    assert reverse("area_people", args=[code]) in body
    staffing = client.get(reverse("area_staffing", args=[code])).content.decode()
    assert reverse("post_give", args=[territory.grid.code]) in staffing


def test_an_officer_cannot_take_over_a_peer_or_appoint_one(territory, street_officer):
    peer = UserFactory(username="peer")
    PostFactory(user=peer, area=territory.street, role=Role.STREET_STAFF)
    with pytest.raises(PermissionDenied):
        services.reset_password_for(by=street_officer, person=peer)
    with pytest.raises(PermissionDenied):
        services.give_post(
            by=street_officer,
            area=territory.street,
            role=Role.STREET_STAFF,
            new=services.NewPerson(display_name="王五", phone="13900139000"),
        )
    assert not get_user_model().objects.filter(phone="13900139000").exists()


def test_a_district_officer_manages_a_street_officer(territory, district_officer, street_officer):
    password = services.reset_password_for(by=district_officer, person=street_officer)
    street_officer.refresh_from_db()
    assert street_officer.check_password(password)


def test_a_peers_post_offers_no_end_and_cannot_be_given_through_the_appoint_form(
    client, territory, street_officer, own_worker
):
    peer = UserFactory(username="peer")
    PostFactory(user=peer, area=territory.street, role=Role.STREET_STAFF)
    client.force_login(street_officer)
    body = client.get(reverse("area_detail", args=[territory.street.code])).content.decode()
    peer_post = Post.objects.get(user=peer)
    assert reverse("post_end", args=[peer_post.pk]) not in body
    assert client.post(reverse("post_end", args=[peer_post.pk])).status_code == 403
    response = client.post(
        reverse("post_create", args=[territory.street.code]),
        {"username": "own_worker", "area": territory.street.pk, "role": Role.STREET_STAFF},
    )
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert not Post.objects.filter(user=own_worker, area=territory.street).exists()


def test_the_staffing_page_offers_to_end_a_grid_post(
    client, territory, community_officer, own_worker
):
    client.force_login(community_officer)
    body = client.get(reverse("area_staffing", args=[territory.community.code])).content.decode()
    post = Post.objects.get(user=own_worker)
    assert reverse("post_end", args=[post.pk]) in body


def test_a_staff_import_cannot_give_a_peer_post_and_writes_nothing(territory, street_officer):
    from tests.onboarding.people import check, problems
    from tests.onboarding.people import workbook as book

    rows = [{"name": "王五", "mobile": "13900139000", "role": "street_staff", "area": "S1"}]
    run = check(street_officer, territory.street, "staff", book("staff", rows))
    assert (2, "Role") in problems(run)
    assert not get_user_model().objects.filter(phone="13900139000").exists()


def test_the_people_page_takes_the_same_queries_for_one_person_and_twenty(
    client, territory, community_officer, django_assert_max_num_queries
):
    client.force_login(community_officer)
    url = reverse("area_people", args=["C1"])
    for others in (1, 19):
        for _ in range(others):
            PostFactory(area=territory.grid, role=Role.VOLUNTEER)
        client.get(url)  # new posts change the scope's version: cached facts are read again
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200
