import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from grids import services
from grids.models import Household, Resident
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def test_a_resident_gets_birth_date_and_sex_from_the_id_number(own_worker, household):
    resident = services.create_resident(
        by=own_worker,
        household=household,
        name="王芳",
        id_number="11010519491231002x",
        phone="+86 138-1234-5678",
    )
    assert resident.id_number == "11010519491231002X"
    assert resident.phone == "13812345678"
    assert str(resident.birth_date) == "1949-12-31"
    assert resident.gender == Resident.Gender.FEMALE  # 17th digit 2 is even


def test_a_bad_id_number_or_mobile_saves_nothing(own_worker, household):
    with pytest.raises(ValidationError) as caught:
        services.create_resident(
            by=own_worker,
            household=household,
            name="王芳",
            id_number="110105194912310021",
            phone="12345",
        )
    assert set(caught.value.message_dict) == {"id_number", "phone"}
    assert not Resident.objects.exists()


def test_two_residents_cannot_share_an_id_number(own_worker, household, resident):
    with pytest.raises(ValidationError) as caught:
        services.create_resident(
            by=own_worker, household=household, name="重复", id_number=resident.id_number
        )
    assert "id_number" in caught.value.message_dict


def test_a_household_outside_its_grid_is_refused(own_worker, territory):
    with pytest.raises(ValidationError) as caught:
        services.create_household(
            by=own_worker, grid=territory.grid, address="错位1号", longitude=120.3, latitude=31.05
        )
    assert "longitude" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.create_household(
            by=own_worker, grid=territory.grid, address="错位2号", longitude=120.05
        )
    assert "latitude" in caught.value.message_dict


def test_a_micro_grid_must_belong_to_the_households_grid(district_officer, own_worker, territory):
    from tests.factories import area

    foreign = area(territory.far_grid, "G3-M1", "micro_grid", None)
    with pytest.raises(ValidationError) as caught:
        services.create_household(by=None, grid=territory.grid, micro_grid=foreign, address="某处")
    assert "micro_grid" in caught.value.message_dict


def test_a_worker_cannot_write_in_another_grid(neighbour_worker, household):
    with pytest.raises(PermissionDenied):
        services.create_resident(by=neighbour_worker, household=household, name="越权")
    with pytest.raises(PermissionDenied):
        services.update_household(by=neighbour_worker, household=household, address="越权")


def test_moving_a_household_needs_rights_in_the_new_grid_too(own_worker, household, territory):
    with pytest.raises(PermissionDenied):
        services.update_household(
            by=own_worker,
            household=household,
            grid=territory.neighbour_grid,
            micro_grid=None,
            longitude=None,
            latitude=None,
        )


def test_a_stale_edit_is_refused_and_changes_nothing(own_worker, household):
    from core.concurrency import ConcurrentEdit

    services.update_household(
        by=own_worker, household=household, expected_version=1, address="新地址1"
    )
    stale = Household.objects.get(pk=household.pk)
    with pytest.raises(ConcurrentEdit):
        services.update_household(
            by=own_worker, household=stale, expected_version=1, address="新地址2"
        )
    assert Household.objects.get(pk=household.pk).address == "新地址1"


def test_care_categories_are_set_and_cleared(own_worker, resident):
    services.update_resident(by=own_worker, resident=resident, care=["elderly_alone", "disabled"])
    assert set(resident.care.values_list("category", flat=True)) == {"elderly_alone", "disabled"}
    services.update_resident(by=own_worker, resident=resident, care=["disabled"])
    assert list(resident.care.values_list("category", flat=True)) == ["disabled"]
    with pytest.raises(ValidationError):
        services.update_resident(by=own_worker, resident=resident, care=["astronaut"])


def test_revealing_a_full_value_is_logged_with_who_and_what(own_worker, resident):
    value = services.reveal_personal(
        by=own_worker, resident=resident, field="id_number", reason="visit", remote_addr="10.0.0.8"
    )
    assert value == resident.id_number
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == own_worker
    assert entry.object_pk == str(resident.pk)
    assert entry.additional_data == {
        "revealed": ["id_number"],
        "reason": "visit",
        "reauthenticated": False,
    }
    assert entry.remote_addr == "10.0.0.8"


def test_a_part_time_worker_cannot_reveal_and_nothing_is_logged(part_time_worker, resident):
    with pytest.raises(PermissionDenied):
        services.reveal_personal(
            by=part_time_worker, resident=resident, field="phone", reason="visit"
        )
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_the_audit_trail_of_a_change_keeps_values_masked(own_worker, resident):
    new_id = make_id_number()
    services.update_resident(by=own_worker, resident=resident, id_number=new_id)
    entry = LogEntry.objects.filter(action=LogEntry.Action.UPDATE).latest("pk")
    assert new_id not in str(entry.changes)
