"""The audit trail on product pages: who changed what, personal values never in full."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.history import history_for
from grids.models import ResidentCare
from grids.services import log_personal_access
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.stations.factories import StationFactory

FULL_ID = "110101199003078515"
FULL_MOBILE = "13812345678"


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", display_name="张编辑")


def _change_resident(resident, editor, **values):
    with set_actor(editor):
        for name, value in values.items():
            setattr(resident, name, value)
        resident.save()


def test_history_for_lists_the_actor_and_masks_personal_fields(resident, editor):
    _change_resident(resident, editor, id_number=FULL_ID, phone=FULL_MOBILE, name="新名字")

    latest = history_for(resident)[0]

    assert latest.actor == "张编辑"
    shown = {row.label: (row.old, row.new) for row in latest.rows}
    assert any("新名字" in new for _old, new in shown.values())
    flat = " ".join(f"{old} {new}" for old, new in shown.values())
    assert FULL_ID not in flat
    assert FULL_MOBILE not in flat
    assert "*" in flat


def test_a_reveal_is_shown_as_an_access_entry(resident, editor):
    log_personal_access(editor, resident, ["id_number"], None)

    latest = history_for(resident)[0]

    assert latest.is_access
    assert latest.rows == []
    assert latest.revealed


def test_a_household_history_includes_its_residents_and_their_care(resident, editor):
    household = resident.household
    _change_resident(resident, editor, name="改过的")
    ResidentCare.objects.create(
        resident=resident, category=ResidentCare._meta.get_field("category").choices[0][0]
    )
    other = ResidentFactory(household=HouseholdFactory(grid=household.grid))
    _change_resident(other, editor, name="别家的")

    subjects = [change.subject for change in history_for(household)]

    assert any("改过的" in subject for subject in subjects)
    assert not any("别家的" in subject for subject in subjects)
    assert len(subjects) >= 3


def test_a_care_category_is_logged_as_its_token_and_shown_by_its_name(resident, editor):
    from auditlog.models import LogEntry

    from grids.models import CareCategory

    care = ResidentCare.objects.create(resident=resident, category=CareCategory.VETERAN)
    entry = LogEntry.objects.get_for_object(care).get()
    assert "veteran" not in str(entry.changes)  # the token, as at rest
    rows = [row for change in history_for(resident.household) for row in change.rows]
    assert any(row.new == "Veteran" for row in rows)


def test_the_household_page_shows_a_resident_change_masked(client, own_worker, resident, editor):
    _change_resident(resident, editor, id_number=FULL_ID, phone=FULL_MOBILE)
    client.force_login(own_worker)

    html = client.get(reverse("household_detail", args=[resident.household.pk])).content.decode()

    assert "张编辑" in html
    assert "<details" in html
    assert FULL_ID not in html
    assert FULL_MOBILE not in html


def test_the_household_page_keeps_its_query_count_however_long_the_history(
    client, own_worker, resident, editor
):
    client.force_login(own_worker)
    url = reverse("household_detail", args=[resident.household.pk])
    _change_resident(resident, editor, name="一")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(20):
        _change_resident(resident, editor, name=f"改{n}")
    with CaptureQueriesContext(connection) as twenty:
        html = client.get(url).content.decode()

    assert "改19" in html
    assert len(twenty) <= len(one)


def test_another_grids_household_stays_hidden_with_its_history(
    client, own_worker, other_household, editor
):
    stranger = ResidentFactory(household=other_household)
    _change_resident(stranger, editor, name="不该看到")
    client.force_login(own_worker)

    response = client.get(reverse("household_detail", args=[other_household.pk]))

    assert response.status_code == 404
    assert "不该看到" not in response.content.decode()


def test_the_station_page_shows_who_renamed_it(client, community_officer, territory, editor):
    station = StationFactory(area=territory.grid)
    with set_actor(editor):
        station.name = "改名的站"
        station.save()
    client.force_login(community_officer)

    html = client.get(reverse("station_detail", args=[station.code])).content.decode()

    assert "张编辑" in html
    assert "改名的站" in html


def test_the_branch_page_shows_who_renamed_it(client, community_officer, branch, editor):
    with set_actor(editor):
        branch.name = "改名的支部"
        branch.save()
    client.force_login(community_officer)

    html = client.get(reverse("branch_detail", args=[branch.code])).content.decode()

    assert "张编辑" in html
    assert html.count("改名的支部") >= 2


def test_the_member_page_shows_a_mobile_change_masked(client, community_officer, member, editor):
    with set_actor(editor):
        member.phone = FULL_MOBILE
        member.save()
    client.force_login(community_officer)

    html = client.get(reverse("member_detail", args=[member.pk])).content.decode()

    assert "张编辑" in html
    assert FULL_MOBILE not in html
    assert LogEntry.objects.get_for_object(member).exists()


def test_the_household_page_shows_a_reveal_as_such(client, own_worker, resident, editor):
    log_personal_access(editor, resident, ["id_number"], None)
    client.force_login(own_worker)

    html = client.get(reverse("household_detail", args=[resident.household.pk])).content.decode()

    assert "Viewed the full" in html
    assert resident.id_number not in html


def test_the_member_page_reads_its_history_in_a_bounded_number_of_queries(
    client, community_officer, member, editor, django_assert_max_num_queries
):
    client.force_login(community_officer)
    url = reverse("member_detail", args=[member.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as baseline:
        client.get(url)
    with set_actor(editor):
        for n in range(20):
            member.name = f"党员{n}"
            member.save()

    with django_assert_max_num_queries(len(baseline)):
        client.get(url)


def test_a_created_entry_leaves_out_empty_relations_instead_of_their_manager_name(
    household, editor
):
    with set_actor(editor):
        created = ResidentFactory(household=household)

    rows = history_for(created)[-1].rows

    assert rows, "the created entry lists the fields given"
    assert not any(".None" in f"{row.old} {row.new}" for row in rows)
