"""Importing households and residents (issue 19): every bad cell reported, nothing half
written, re-imports idempotent, scope enforced, masked exports round-trip, and the check's
queries independent of the number of rows."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from grids import services as grid_services
from grids.models import GridTally, Household, Resident, ResidentCare
from onboarding import engine
from onboarding.kinds.households import HOUSEHOLDS, RESIDENTS
from onboarding.models import ImportRun
from onboarding.services import export_bytes, start_import, template_bytes
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number

pytestmark = pytest.mark.django_db

HEAD_ID = make_id_number(male=True)
SPOUSE_ID = make_id_number(male=False)
OTHER_ID = make_id_number(male=True)


def workbook(households: list[dict], residents: list[dict]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet, rows in ((HOUSEHOLDS, households), (RESIDENTS, residents)):
        worksheet = book.create_sheet(sheet.en)
        worksheet.append([column.en for column in sheet.columns])
        for row in rows:
            worksheet.append([row.get(column.key, "") for column in sheet.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check(by, area, data: bytes) -> ImportRun:
    upload = SimpleUploadedFile("people.xlsx", data)
    run = start_import(by=by, area=area, kind="households", upload=upload, enqueue=False)
    engine.check(run.pk)
    run.refresh_from_db()
    return run


def write(run: ImportRun, capture) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CONFIRMED)
    with capture(execute=True):
        engine.write(run.pk)
    run.refresh_from_db()
    return run


def load(by, area, data: bytes, capture) -> ImportRun:
    run = check(by, area, data)
    assert run.status == ImportRun.Status.READY, run.problems
    run = write(run, capture)
    assert run.status == ImportRun.Status.DONE, run.problems
    return run


def good_households() -> list[dict]:
    return [
        {
            "number": "H1",
            "grid": "G1",
            "micro_grid": "G1-M1",
            "address": "幸福花园 1幢 101室",
            "longitude": 120.02,
            "latitude": 31.05,
            "note": "二楼",
        },
        {"grid": "G2", "address": "幸福花园 9幢 901室"},
    ]


def good_residents() -> list[dict]:
    return [
        {
            "household": "H1",
            "name": "张三",
            "id_number": HEAD_ID,
            "phone": "13812345678",
            "relationship": "head",
            "care": "Elderly living alone",
        },
        {
            "household": "H1",
            "name": "李四",
            "id_number": SPOUSE_ID,
            "relationship": "配偶",
            "gender": "female",
        },
        {
            "household_address": "幸福花园 9幢 901室",
            "name": "王五",
            "status": "living",
            "birth_date": "1990-05-01",
            "care": "Disabled、low_income",
        },
    ]


def where(run: ImportRun) -> set[tuple[str, int, str]]:
    return {(p["sheet"], p["row"], p["column"]) for p in run.problems}


def test_a_bad_cell_in_each_column_writes_nothing_and_reports_each(territory):
    households = [
        {"number": "H1", "grid": "G1", "address": "幸福花园 1幢 101室"},
        {"number": "X" * 41, "grid": "G1", "address": "a2"},
        {"number": "H3", "grid": "NOPE", "address": "a3"},
        {"number": "H4", "grid": "G2", "micro_grid": "G1-M1", "address": "a4"},
        {"number": "H5", "grid": "G1"},
        {"number": "H6", "grid": "G1", "address": "a6", "longitude": "east", "latitude": "31"},
        {"number": "H7", "grid": "G1", "address": "a7", "longitude": "120.02", "latitude": "95"},
    ]
    residents = [
        {"household": "NOPE", "name": "r2"},
        {"household_address": "nowhere", "name": "r3"},
        {"household_address": "a2", "grid": "NOPE", "name": "r4"},
        {"household": "H1"},
        {"household": "H1", "name": "r6", "id_number": HEAD_ID[:-1] + "0"},
        {"household": "H1", "name": "r7", "phone": "12345"},
        {"household": "H1", "name": "r8", "relationship": "boss"},
        {"household": "H1", "name": "r9", "gender": "robot"},
        {"household": "H1", "name": "r10", "birth_date": "yesterday"},
        {"household": "H1", "name": "r11", "status": "gone"},
        {"household": "H1", "name": "r12", "care": "Disabled、flying"},
    ]
    if HEAD_ID[-1] == "0":
        residents[4]["id_number"] = HEAD_ID[:-1] + "1"

    run = check(None, territory.street, workbook(households, residents))

    assert run.status == ImportRun.Status.INVALID
    assert where(run) >= {
        ("Households", 3, "Household number"),
        ("Households", 4, "Grid code"),
        ("Households", 5, "Micro-grid code"),
        ("Households", 6, "Address"),
        ("Households", 7, "Longitude"),
        ("Households", 8, "Latitude"),
        ("Residents", 2, "Household number"),
        ("Residents", 3, "Household address"),
        ("Residents", 4, "Grid code"),
        ("Residents", 5, "Name"),
        ("Residents", 6, "ID number"),
        ("Residents", 7, "Mobile"),
        ("Residents", 8, "Relationship to head"),
        ("Residents", 9, "Gender"),
        ("Residents", 10, "Date of birth"),
        ("Residents", 11, "Status"),
        ("Residents", 12, "Care categories"),
    }
    assert not any(p["row"] == 2 and p["sheet"] == "Households" for p in run.problems)
    with run.report.open("rb") as handle:
        marked = load_workbook(handle, read_only=True)["Residents"]
        rows = list(marked.iter_rows(values_only=True))
    assert rows[0][:2] == ("Errors", "Household number")
    assert "Mobile" in rows[6][0] and rows[6][1:3] == ("H1", None)
    assert not Household.objects.exists()
    assert not Resident.objects.exists()


def test_a_corrected_file_imports_and_the_same_file_again_changes_nothing(
    territory, street_officer, django_capture_on_commit_callbacks
):
    data = workbook(good_households(), good_residents())

    run = load(street_officer, territory.street, data, django_capture_on_commit_callbacks)

    assert run.tallies == {
        "households": {"created": 2, "updated": 0, "unchanged": 0},
        "residents": {"created": 3, "updated": 0, "unchanged": 0},
    }
    h1 = Household.objects.get(number="H1")
    assert (h1.grid, h1.micro_grid, h1.note) == (territory.grid, territory.micro, "二楼")
    head = Resident.objects.get(id_number=HEAD_ID)
    assert head.household == h1 and head.phone == "13812345678"
    assert head.birth_date is not None and head.gender == "male"  # from the ID number
    assert Resident.objects.get(id_number=SPOUSE_ID).relationship == "spouse"
    wang = Resident.objects.get(name="王五")
    assert wang.household.grid == territory.neighbour_grid
    assert set(ResidentCare.objects.values_list("resident__name", "category")) == {
        ("张三", "elderly_alone"),
        ("王五", "disabled"),
        ("王五", "low_income"),
    }
    assert GridTally.objects.get(grid=territory.grid).households == 1
    assert GridTally.objects.get(grid=territory.grid).residents == 2
    assert GridTally.objects.get(grid=territory.neighbour_grid).residents == 1
    assert all(Household.objects.values_list("visit_due_on", flat=True))

    again = load(street_officer, territory.street, data, django_capture_on_commit_callbacks)

    assert again.tallies == {
        "households": {"created": 0, "updated": 0, "unchanged": 2},
        "residents": {"created": 0, "updated": 0, "unchanged": 3},
    }
    assert Household.objects.count() == 2 and Resident.objects.count() == 3
    assert ResidentCare.objects.count() == 3


def test_a_corrected_file_updates_by_id_number_without_duplicating(
    territory, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )
    residents = good_residents()
    residents[0].update(name="张三丰", phone="13900001111", care="")
    residents[2]["care"] = "disabled"
    households = good_households()
    households[1]["note"] = "corrected"

    run = load(
        None, territory.street, workbook(households, residents), django_capture_on_commit_callbacks
    )

    assert run.tallies["residents"] == {"created": 0, "updated": 2, "unchanged": 1}
    assert run.tallies["households"] == {"created": 0, "updated": 1, "unchanged": 1}
    head = Resident.objects.get(id_number=HEAD_ID)
    assert (head.name, head.phone, head.version) == ("张三丰", "13900001111", 2)
    # The bulk UPDATE wrote the new mobile's keyed hash and last digits too (core.fields).
    assert Resident.objects.get(phone="13900001111", phone_last4="1111") == head
    assert not head.care.exists()
    assert set(ResidentCare.objects.values_list("category", flat=True)) == {"disabled"}
    assert Resident.objects.count() == 3 and Household.objects.count() == 2


def test_a_resident_without_an_id_number_is_found_by_household_and_name(
    territory, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )
    residents = good_residents()
    residents[2]["id_number"] = OTHER_ID  # the resident's number, learnt later
    del residents[2]["birth_date"]  # the ID number's own date stands

    run = load(
        None,
        territory.street,
        workbook(good_households(), residents),
        django_capture_on_commit_callbacks,
    )

    assert run.tallies["residents"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert Resident.objects.get(name="王五").id_number == OTHER_ID


def test_rows_outside_the_importers_area_are_refused(territory, street_officer):
    households = [*good_households(), {"number": "H9", "grid": "G4", "address": "科技园 1号"}]
    residents = [{"household": "H9", "name": "赵六"}]
    other = HouseholdFactory(grid=territory.other_street_grid, number="FAR")
    residents.append({"household": other.number, "name": "钱七"})

    run = check(street_officer, territory.street, workbook(households, residents))

    assert run.status == ImportRun.Status.INVALID
    assert ("Households", 4, "Grid code") in where(run)
    assert ("Residents", 3, "Household number") in where(run)
    assert Household.objects.count() == 1


def test_an_id_number_held_outside_the_area_is_refused(territory, street_officer):
    far = ResidentFactory(household=HouseholdFactory(grid=territory.other_street_grid))
    residents = [{"household": "H1", "name": "某人", "id_number": far.id_number}]

    run = check(street_officer, territory.street, workbook(good_households()[:1], residents))

    assert ("Residents", 2, "ID number") in where(run)


def test_a_masked_export_imports_back_unchanged(
    territory, street_officer, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )

    data, record = export_bytes(by=street_officer, area=territory.street, kind="households")

    assert not record.full_personal
    assert HEAD_ID.encode() not in data  # (a zip: a plain search is only a first guard)
    run = load(street_officer, territory.street, data, django_capture_on_commit_callbacks)
    assert run.tallies == {
        "households": {"created": 0, "updated": 0, "unchanged": 2},
        "residents": {"created": 0, "updated": 0, "unchanged": 3},
    }
    assert Resident.objects.get(name="张三").id_number == HEAD_ID


def test_a_full_export_for_someone_who_may_reveal_imports_back_unchanged(
    territory, community_officer, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )

    data, record = export_bytes(by=community_officer, area=territory.community, kind="households")

    assert record.full_personal and record.rows == 5
    run = load(community_officer, territory.community, data, django_capture_on_commit_callbacks)
    assert run.tallies == {
        "households": {"created": 0, "updated": 0, "unchanged": 2},
        "residents": {"created": 0, "updated": 0, "unchanged": 3},
    }


def test_a_masked_number_is_refused_for_a_new_resident_or_when_it_does_not_fit(
    territory, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )
    residents = [
        {"household": "H1", "name": "新人", "id_number": "3204**********0011"},
        {"household": "H1", "name": "张三", "phone": "139****0000"},
    ]

    run = check(None, territory.street, workbook([], residents))

    assert where(run) == {("Residents", 2, "ID number"), ("Residents", 3, "Mobile")}


def test_a_gender_or_birth_date_that_the_id_number_contradicts_is_reported(territory):
    residents = good_residents()[:1]
    residents[0].update(gender="female", birth_date="1900-01-01")

    run = check(None, territory.street, workbook(good_households(), residents))

    assert where(run) == {("Residents", 2, "Gender"), ("Residents", 2, "Date of birth")}


def test_every_bad_cell_of_a_row_is_reported_not_only_the_first(territory):
    households = [{"number": "X" * 41, "grid": "NOPE", "address": "a" * 201, "latitude": "31"}]

    run = check(None, territory.street, workbook(households, []))

    assert where(run) == {
        ("Households", 2, "Household number"),
        ("Households", 2, "Grid code"),
        ("Households", 2, "Address"),
        ("Households", 2, "Latitude"),
    }


def test_duplicate_id_numbers_in_a_file_are_reported_on_both_rows(territory):
    residents = good_residents()
    residents[1]["id_number"] = HEAD_ID

    run = check(None, territory.street, workbook(good_households(), residents))

    assert where(run) == {("Residents", 2, "ID number"), ("Residents", 3, "ID number")}


def test_a_number_taken_while_writing_is_a_validation_error_and_nothing_is_kept(territory):
    HouseholdFactory(grid=territory.grid, number="TAKEN")
    item = grid_services.HouseholdImport(
        key=2,
        pk=None,
        grid_id=territory.neighbour_grid.pk,
        micro_grid_id=None,
        number="TAKEN",
        address="somewhere",
        longitude=None,
        latitude=None,
        note="",
    )

    with pytest.raises(ValidationError):
        grid_services.import_households(by=None, area=territory.street, households=[item])

    assert Household.objects.count() == 1


def _rows(count: int) -> tuple[list[dict], list[dict]]:
    households = [
        {"number": f"N{i}", "grid": "G1", "address": f"幸福花园 {i}幢"} for i in range(count)
    ]
    residents = [
        {"household": f"N{i}", "name": f"居民{i}", "id_number": make_id_number(), "care": "veteran"}
        for i in range(count)
    ]
    return households, residents


def test_the_checks_queries_do_not_grow_with_the_rows(
    territory, street_officer, django_assert_max_num_queries
):
    # Half the rows already exist, so the lookups of existing rows are exercised too.
    households, residents = _rows(50)
    for row in households[:25]:
        HouseholdFactory(grid=territory.grid, number=row["number"], address=row["address"])
    one = workbook(*_rows(1))
    run = start_import(
        by=street_officer,
        area=territory.street,
        kind="households",
        upload=SimpleUploadedFile("one.xlsx", one),
        enqueue=False,
    )
    with CaptureQueriesContext(connection) as single:
        engine.check(run.pk)
    many = start_import(
        by=street_officer,
        area=territory.street,
        kind="households",
        upload=SimpleUploadedFile("many.xlsx", workbook(households, residents)),
        enqueue=False,
    )

    with django_assert_max_num_queries(len(single)):
        engine.check(many.pk)

    many.refresh_from_db()
    assert many.status == ImportRun.Status.READY, many.problems
    assert many.tallies["households"] == {"created": 25, "updated": 0, "unchanged": 25}


def test_the_template_has_both_sheets_with_chinese_headers():
    book = load_workbook(io.BytesIO(template_bytes("households", "zh-hans")))

    assert [cell.value for cell in book["户"][1]][:4] == [
        "户编号",
        "所属网格编码 *",
        "微网格编码",
        "地址 *",
    ]
    assert "关爱类别" in [cell.value for cell in book["居民"][1]]


def test_the_bulk_service_refuses_someone_who_may_not_import(territory, own_worker):
    with pytest.raises(PermissionDenied):
        grid_services.import_households(by=own_worker, area=territory.grid)


def test_a_bulk_write_logs_one_audit_entry_per_written_object_and_a_rerun_none(
    territory, django_capture_on_commit_callbacks
):
    before = LogEntry.objects.count()
    data = workbook(good_households(), good_residents())

    run = load(None, territory.street, data, django_capture_on_commit_callbacks)

    # 2 households and 3 residents; their care categories ride on the resident's entry.
    entries = LogEntry.objects.filter(pk__gt=0).order_by("-pk")[:5]
    assert LogEntry.objects.count() == before + 5
    assert {entry.additional_data["imported"]["run"] for entry in entries} == {run.pk}
    load(None, territory.street, data, django_capture_on_commit_callbacks)
    assert LogEntry.objects.count() == before + 5


def test_a_resident_found_by_id_number_moves_to_the_household_the_file_gives(
    territory, django_capture_on_commit_callbacks
):
    load(
        None,
        territory.street,
        workbook(good_households(), good_residents()),
        django_capture_on_commit_callbacks,
    )
    residents = good_residents()
    del residents[1]["household"]
    residents[1]["household_address"] = "幸福花园 9幢 901室"

    run = load(None, territory.street, workbook([], residents), django_capture_on_commit_callbacks)

    assert run.tallies["residents"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert Resident.objects.get(id_number=SPOUSE_ID).household.grid == territory.neighbour_grid
    assert GridTally.objects.get(grid=territory.grid).residents == 1
    assert GridTally.objects.get(grid=territory.neighbour_grid).residents == 2


def test_an_address_in_two_grids_is_ambiguous_without_the_number_or_grid(territory):
    HouseholdFactory(grid=territory.grid, address="同一地址")
    HouseholdFactory(grid=territory.neighbour_grid, address="同一地址")
    residents = [
        {"household_address": "同一地址", "name": "甲"},
        {"household_address": "同一地址", "grid": "G2", "name": "乙"},
    ]

    run = check(None, territory.street, workbook([], residents))

    assert where(run) == {("Residents", 2, "Household address")}
    assert "ambiguous" in run.problems[0]["message"]


def test_two_of_a_name_in_one_household_export_and_import_back_unchanged(
    territory, street_officer, district_officer, django_capture_on_commit_callbacks
):
    # A father with an ID number and his son of the same name without one (the demo has
    # such households): neither a full nor a masked export is ambiguous on the way back.
    home = grid_services.create_household(by=None, grid=territory.grid, address="和平里 1幢")
    grid_services.create_resident(by=None, household=home, name="宋伟", id_number=make_id_number())
    grid_services.create_resident(
        by=None, household=home, name="宋伟", relationship="child", gender="male"
    )
    for by in (None, street_officer):
        data, _record = export_bytes(by=by, area=territory.street, kind="households")
        run = check(by, territory.street, data)
        assert run.status == ImportRun.Status.READY, run.problems
        assert run.tallies["residents"] == {"created": 0, "updated": 0, "unchanged": 2}
