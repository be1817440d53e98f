"""Importing staff, party members, branches, stations, co-building units and matters: a good
file imports, importing it again or re-importing an export changes nothing, every bad cell is
reported with nothing written, and rows outside the importer's area are refused."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from branches.models import Branch, CoBuildingUnit, PartyGroup, PartyMember
from grids.models import Post
from onboarding import services
from onboarding.kinds import kind_named
from onboarding.models import ExportRecord, ImportRun
from stations.models import Station
from tests.factories import PostFactory, UserFactory
from tests.onboarding.people import check, export, exported_rows, problems, run_import, tally
from tests.onboarding.people import workbook as book
from tickets.models import Category, Department, Matter

pytestmark = pytest.mark.django_db
S = ImportRun.Status
User = get_user_model()


# --- Staff ----------------------------------------------------------------------------------


def staff_rows():
    return [
        {"name": "王芳", "mobile": "13812340001", "role": "grid_worker", "area": "G1"},
        {
            "name": "李明",
            "mobile": "138 1234 0002",
            "username": "liming",
            "role": "community_staff",
            "area": "C1",
            "started_on": "2024-03-01",
            "note": "社区专干",
        },
        {"name": "已有", "username": "known", "role": "Grid volunteer", "area": "G2"},
    ]


@pytest.fixture
def known_person(territory):
    return UserFactory(username="known", phone="13900001111")


def test_a_good_staff_file_creates_accounts_and_posts(street_officer, territory, known_person):
    run = run_import(street_officer, territory.street, "staff", book("staff", staff_rows()))

    assert run.status == S.DONE, run.problems
    assert tally(run, "staff") == {"created": 3, "updated": 0, "unchanged": 0}
    wang = User.objects.get(username="13812340001")
    assert wang.phone == "13812340001" and wang.display_name == "王芳"
    assert not wang.has_usable_password()
    assert Post.objects.filter(user=wang, area=territory.grid, role="grid_worker").exists()
    li = User.objects.get(username="liming")
    post = Post.objects.get(user=li)
    assert (post.role, post.area, str(post.started_on), post.note) == (
        "community_staff",
        territory.community,
        "2024-03-01",
        "社区专干",
    )
    assert Post.objects.filter(user=known_person, role="volunteer").exists()


def test_importing_the_same_staff_file_again_changes_nothing(
    street_officer, territory, known_person
):
    data = book("staff", staff_rows())
    run_import(street_officer, territory.street, "staff", data)
    users, posts = User.objects.count(), Post.objects.count()

    again = run_import(street_officer, territory.street, "staff", data)

    assert again.status == S.DONE
    assert tally(again, "staff") == {"created": 0, "updated": 0, "unchanged": 3}
    assert (User.objects.count(), Post.objects.count()) == (users, posts)


def test_exported_staff_import_back_unchanged_with_masked_mobiles(
    street_officer, territory, known_person
):
    run_import(street_officer, territory.street, "staff", book("staff", staff_rows()))
    data = export(street_officer, territory.street, "staff")
    rows = exported_rows(data, "staff")
    assert ["王芳", "138****0001"] in [r[:2] for r in rows]
    assert not any(r[1] == "13812340001" for r in rows)

    again = run_import(street_officer, territory.street, "staff", data)

    assert again.status == S.DONE, again.problems
    assert tally(again, "staff") == {"created": 0, "updated": 0, "unchanged": len(rows)}


def test_every_bad_staff_cell_is_reported_and_nothing_written(street_officer, territory):
    users, posts = User.objects.count(), Post.objects.count()
    rows = [
        {"name": "甲", "mobile": "1381234", "role": "grid_worker", "area": "G1"},
        {"name": "乙", "mobile": "13812340003", "role": "chief", "area": "G1"},
        {"name": "丙", "mobile": "13812340004", "role": "grid_worker", "area": "NOPE"},
        {
            "name": "丁",
            "mobile": "13812340005",
            "role": "grid_worker",
            "area": "G1",
            "started_on": "soon",
        },
        {"name": "", "mobile": "13812340006", "role": "grid_worker", "area": "G1"},
        {"name": "好", "mobile": "13812340007", "role": "grid_worker", "area": "G2"},
    ]

    run = check(street_officer, territory.street, "staff", book("staff", rows))

    assert run.status == S.INVALID
    assert sorted(problems(run)) == [
        (2, "Mobile"),
        (3, "Role"),
        (4, "Area code"),
        (5, "Start date"),
        (6, "Name"),
    ]
    assert run.report  # the marked-up workbook to download and correct
    assert (User.objects.count(), Post.objects.count()) == (users, posts)


def test_a_post_outside_the_importing_area_is_refused(street_officer, territory):
    rows = [{"name": "外", "mobile": "13812340008", "role": "grid_worker", "area": "G4"}]

    run = check(street_officer, territory.street, "staff", book("staff", rows))

    assert run.status == S.INVALID
    assert problems(run) == [(2, "Area code")]
    assert "outside" in run.problems[0]["message"]


def test_an_appointment_rule_broken_is_reported_on_its_row(street_officer, territory):
    rows = [
        {"name": "好", "mobile": "13812340009", "role": "grid_worker", "area": "G1"},
        {"name": "错", "mobile": "13812340010", "role": "grid_worker", "area": "C1"},
    ]

    run = check(street_officer, territory.street, "staff", book("staff", rows))

    assert run.status == S.INVALID
    assert problems(run) == [(3, "Area code")]
    assert "appointed at" in run.problems[0]["message"]
    assert not User.objects.filter(phone="13812340009").exists()


def test_an_existing_open_post_is_unchanged_and_the_account_linked(territory, street_officer):
    person = UserFactory(username="zhang", phone="13700000001")
    PostFactory(user=person, area=territory.grid, role="grid_leader")
    rows = [
        {"name": "张", "mobile": "13700000001", "role": "grid_leader", "area": "G1"},
        {"name": "张", "mobile": "13700000001", "role": "volunteer", "area": "G2"},
    ]

    run = run_import(street_officer, territory.street, "staff", book("staff", rows))

    assert tally(run, "staff") == {"created": 1, "updated": 0, "unchanged": 1}
    assert set(person.posts.values_list("role", flat=True)) == {"grid_leader", "volunteer"}


def test_a_note_too_long_is_reported_on_its_cell(street_officer, territory):
    rows = [
        {
            "name": "长",
            "mobile": "13812340011",
            "role": "volunteer",
            "area": "G1",
            "note": "长" * 201,
        }
    ]

    run = check(street_officer, territory.street, "staff", book("staff", rows))

    assert problems(run) == [(2, "Note")]


def test_a_user_name_django_refuses_is_reported_before_anything_is_written(
    street_officer, territory
):
    rows = [
        {
            "name": "空格",
            "mobile": "13812340012",
            "username": "has space",
            "role": "volunteer",
            "area": "G1",
        }
    ]

    run = check(street_officer, territory.street, "staff", book("staff", rows))

    assert problems(run) == [(2, "User name")]


def test_checking_staff_reads_people_and_posts_in_bulk(street_officer, territory, known_person):
    def queries(n: int) -> int:
        rows = [
            {"name": f"人{i}", "mobile": f"135{i:08d}", "role": "volunteer", "area": "G1"}
            for i in range(n)
        ] + [{"name": "已有", "username": "known", "role": "volunteer", "area": "G2"}]
        upload = book("staff", rows)
        with CaptureQueriesContext(connection) as captured:
            check(street_officer, territory.street, "staff", upload)
        return len(captured)

    queries(5)  # the first check reads what later ones find cached (the importer's posts)
    assert queries(200) == queries(5)


# --- Party members --------------------------------------------------------------------------


@pytest.fixture
def group(branch):
    return PartyGroup.objects.create(branch=branch, name="第一党小组")


def member_rows():
    return [
        {
            "name": "赵在职",
            "mobile": "13612340001",
            "kind": "In-service party member",
            "work_unit": "区税务局",
            "community": "C1",
            "branch": "C1-B01",
            "party_group": "第一党小组",
        },
        {"name": "钱退休", "kind": "retired", "community": "C1"},
        {
            "name": "王党员",
            "mobile": "13900000002",
            "kind": "retired",
            "community": "C1",
            "branch": "C1-B01",
            "active": "否",
        },
    ]


def test_a_good_member_file_creates_and_updates_members(
    community_officer, territory, member, group
):
    run = run_import(
        community_officer, territory.community, "members", book("members", member_rows())
    )

    assert run.status == S.DONE, run.problems
    assert tally(run, "members") == {"created": 2, "updated": 1, "unchanged": 0}
    zhao = PartyMember.objects.get(phone="13612340001")
    assert (zhao.kind, zhao.work_unit, zhao.branch.code, zhao.party_group) == (
        "in_service",
        "区税务局",
        "C1-B01",
        group,
    )
    assert PartyMember.objects.get(name="钱退休").phone == ""
    member.refresh_from_db()
    assert member.active is False


def test_importing_the_same_member_file_again_changes_nothing(
    community_officer, territory, member, group
):
    data = book("members", member_rows())
    run_import(community_officer, territory.community, "members", data)
    count = PartyMember.objects.count()

    again = run_import(community_officer, territory.community, "members", data)

    assert tally(again, "members") == {"created": 0, "updated": 0, "unchanged": 3}
    assert PartyMember.objects.count() == count


def test_exported_members_import_back_unchanged_full_or_masked(
    community_officer, street_officer, territory, member, group
):
    run_import(community_officer, territory.community, "members", book("members", member_rows()))
    count = PartyMember.objects.count()

    full = export(community_officer, territory.community, "members")
    masked = export(street_officer, territory.street, "members")

    assert "13612340001" in [r[1] for r in exported_rows(full, "members")]
    assert "136****0001" in [r[1] for r in exported_rows(masked, "members")]
    assert ExportRecord.objects.filter(by=community_officer, full_personal=True).exists()
    assert ExportRecord.objects.filter(by=street_officer, full_personal=False).exists()
    for by, area, data in (
        (community_officer, territory.community, full),
        (street_officer, territory.street, masked),
    ):
        again = run_import(by, area, "members", data)
        assert again.status == S.DONE, again.problems
        assert tally(again, "members") == {"created": 0, "updated": 0, "unchanged": count}
    assert PartyMember.objects.get(name="赵在职").phone == "13612340001"


def test_every_bad_member_cell_is_reported_and_nothing_written(
    community_officer, territory, branch
):
    count = PartyMember.objects.count()
    rows = [
        {"name": "甲", "mobile": "12345", "community": "C1"},
        {"name": "乙", "kind": "leader", "community": "C1"},
        {"name": "丙", "community": "NOPE"},
        {"name": "丁", "community": "C1", "branch": "NO-BRANCH"},
        {"name": "戊", "community": "C1", "branch": "C1-B01", "party_group": "无此小组"},
        {"name": "己", "community": "C1", "active": "maybe"},
        {"name": "庚", "kind": "in_service", "community": "C1"},
        {"name": "辛", "community": "G1"},
        {"name": "好", "community": "C1"},
    ]

    run = check(community_officer, territory.community, "members", book("members", rows))

    assert run.status == S.INVALID
    assert sorted(problems(run)) == [
        (2, "Mobile"),
        (3, "Kind"),
        (4, "Community code"),
        (5, "Branch code"),
        (6, "Party group"),
        (7, "Active"),
        (8, "Work unit"),
        (9, "Community code"),
    ]
    assert PartyMember.objects.count() == count


def test_a_member_outside_the_importing_area_is_refused(community_officer, territory):
    rows = [{"name": "外", "community": "C2"}]

    run = check(community_officer, territory.community, "members", book("members", rows))

    assert problems(run) == [(2, "Community code")]
    assert not PartyMember.objects.filter(name="外").exists()


def test_a_masked_mobile_not_on_record_is_refused(street_officer, territory, member):
    rows = [{"name": "王党员", "mobile": "139****9999", "community": "C1"}]

    run = check(street_officer, territory.street, "members", book("members", rows))

    assert problems(run) == [(2, "Mobile")]


def test_checking_members_reads_the_register_in_bulk(community_officer, territory, branch):
    def queries(n: int) -> int:
        rows = [
            {"name": f"党员{i}", "mobile": f"135{i:08d}", "community": "C1", "branch": "C1-B01"}
            for i in range(n)
        ]
        upload = book("members", rows)
        with CaptureQueriesContext(connection) as captured:
            check(community_officer, territory.community, "members", upload)
        return len(captured)

    queries(5)  # the first check reads what later ones find cached (the importer's posts)
    assert queries(200) == queries(5)


# --- Party branches -------------------------------------------------------------------------


@pytest.fixture
def secretary(territory):
    return PartyMember.objects.create(
        name="周书记", phone="13700000009", community=territory.community
    )


def branch_rows():
    return [
        {
            "code": "C1-B01",
            "name": "幸福第一网格党支部（新）",
            "community": "C1",
            "grids": "G1",
            "secretary": "g1_leader",
            "founded_on": "2020-07-01",
        },
        {
            "code": "C1-B02",
            "name": "幸福第二网格党支部",
            "community": "C1",
            "grids": "G2",
            "secretary": "周书记",
        },
    ]


def test_a_good_branch_file_creates_and_updates_branches(
    community_officer, territory, branch, secretary
):
    run = run_import(
        community_officer, territory.community, "branches", book("branches", branch_rows())
    )

    assert run.status == S.DONE, run.problems
    assert tally(run, "branches") == {"created": 1, "updated": 1, "unchanged": 0}
    branch.refresh_from_db()
    assert branch.name == "幸福第一网格党支部（新）"
    second = Branch.objects.get(code="C1-B02")
    assert second.secretary == secretary
    assert list(second.coverage.values_list("grid__code", flat=True)) == ["G2"]


def test_importing_the_same_branch_file_again_and_its_export_change_nothing(
    community_officer, territory, branch, secretary
):
    data = book("branches", branch_rows())
    run_import(community_officer, territory.community, "branches", data)

    again = run_import(community_officer, territory.community, "branches", data)
    back = run_import(
        community_officer,
        territory.community,
        "branches",
        export(community_officer, territory.community, "branches"),
    )

    assert tally(again, "branches") == {"created": 0, "updated": 0, "unchanged": 2}
    assert back.status == S.DONE, back.problems
    assert tally(back, "branches") == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_joint_branch_cannot_take_a_grid_another_branch_keeps(
    community_officer, territory, branch
):
    rows = [{"code": "C1-B09", "name": "幸福联合党支部", "community": "C1", "grids": "G1、G2"}]

    clash = check(community_officer, territory.community, "branches", book("branches", rows))
    branch.coverage.all().delete()
    run = run_import(community_officer, territory.community, "branches", book("branches", rows))

    assert problems(clash) == [(2, "Grid codes")]
    assert run.status == S.DONE, run.problems
    joint = Branch.objects.get(code="C1-B09")
    assert sorted(joint.coverage.values_list("grid__code", flat=True)) == ["G1", "G2"]


def test_a_grid_moves_between_branches_in_one_file(community_officer, territory, branch):
    rows = [
        {"code": "C1-B02", "name": "幸福第二网格党支部", "community": "C1", "grids": "G1"},
        {"code": "C1-B01", "name": branch.name, "community": "C1", "grids": "G2"},
    ]

    run = run_import(community_officer, territory.community, "branches", book("branches", rows))

    assert run.status == S.DONE, run.problems
    assert list(branch.coverage.values_list("grid__code", flat=True)) == ["G2"]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"code": "bad code!"}, "Branch code"),
        ({"name": ""}, "Name"),
        ({"community": "NOPE"}, "Community code"),
        ({"community": "G2"}, "Community code"),
        ({"grids": "G3"}, "Grid codes"),
        ({"grids": "G1"}, "Grid codes"),
        ({"grids": "NOPE"}, "Grid codes"),
        ({"secretary": "无此人"}, "Secretary"),
        ({"founded_on": "去年"}, "Founded on"),
    ],
)
def test_a_bad_branch_cell_is_reported_and_nothing_written(
    community_officer, territory, branch, cells, column
):
    rows = [{"code": "C1-B02", "name": "好", "community": "C1", "grids": "G2"} | cells]

    run = check(community_officer, territory.community, "branches", book("branches", rows))

    assert problems(run) == [(2, column)]
    assert Branch.objects.count() == 1


def test_a_branch_outside_the_importing_area_is_refused(community_officer, territory):
    rows = [{"code": "C2-B01", "name": "和平党支部", "community": "C2", "grids": "G3"}]

    run = check(community_officer, territory.community, "branches", book("branches", rows))

    assert problems(run) == [(2, "Community code"), (2, "Grid codes")]
    assert not Branch.objects.exists()


# --- Service stations -----------------------------------------------------------------------


def station_rows():
    return [
        {
            "code": "ST-G1",
            "name": "幸福第一网格党群服务站",
            "kind": "grid_station",
            "area": "G1",
            "address": "幸福花园 3幢",
            "longitude": 120.05,
            "latitude": 31.05,
            "services": "党务服务、mediation",
        },
        {
            "code": "ST-C1",
            "name": "幸福社区党群服务中心",
            "kind": "Party-and-public service centre",
            "area": "C1",
            "address": "幸福路 1号",
            "longitude": 120.15,
            "latitude": 31.05,
            "opening_hours": "周一至周五 8:30–17:30",
            "phone": "0519-8888 6666",
            "description": "一中心",
            "is_open": "是",
        },
    ]


def test_a_good_station_file_creates_stations(community_officer, territory):
    run = run_import(
        community_officer, territory.community, "stations", book("stations", station_rows())
    )

    assert run.status == S.DONE, run.problems
    assert tally(run, "stations") == {"created": 2, "updated": 0, "unchanged": 0}
    grid_station = Station.objects.get(code="ST-G1")
    assert sorted(grid_station.services.values_list("code", flat=True)) == [
        "mediation",
        "party_affairs",
    ]
    assert grid_station.grid == territory.grid
    centre = Station.objects.get(code="ST-C1")
    assert (centre.kind, centre.phone, centre.is_open) == ("centre", "051988886666", True)


def test_importing_stations_again_or_their_export_changes_nothing(community_officer, territory):
    data = book("stations", station_rows())
    run_import(community_officer, territory.community, "stations", data)

    again = run_import(community_officer, territory.community, "stations", data)
    back = run_import(
        community_officer,
        territory.community,
        "stations",
        export(community_officer, territory.community, "stations", language="zh-hans"),
    )

    assert tally(again, "stations") == {"created": 0, "updated": 0, "unchanged": 2}
    assert back.status == S.DONE, back.problems
    assert tally(back, "stations") == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_changed_station_row_updates_it(community_officer, territory):
    run_import(community_officer, territory.community, "stations", book("stations", station_rows()))
    rows = station_rows()
    rows[0] |= {"name": "新名称", "services": "党务服务", "is_open": "否"}

    run = run_import(community_officer, territory.community, "stations", book("stations", rows))

    assert tally(run, "stations") == {"created": 0, "updated": 1, "unchanged": 1}
    station = Station.objects.get(code="ST-G1")
    assert (station.name, station.is_open) == ("新名称", False)
    assert list(station.services.values_list("code", flat=True)) == ["party_affairs"]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"code": "bad code!"}, "Station code"),
        ({"kind": "kiosk"}, "Kind"),
        ({"area": "NOPE"}, "Area code"),
        ({"area": "C1"}, "Area code"),  # a grid station serves a grid
        ({"address": ""}, "Address"),
        ({"longitude": "east"}, "Longitude"),
        ({"longitude": 120.15}, "Longitude"),  # outside G1
        ({"latitude": 91}, "Latitude"),
        ({"latitude": "nan"}, "Latitude"),
        ({"phone": "12"}, "Phone"),
        ({"services": "按摩"}, "Services"),
        ({"is_open": "maybe"}, "Open"),
    ],
)
def test_a_bad_station_cell_is_reported_and_nothing_written(
    community_officer, territory, cells, column
):
    rows = [station_rows()[0] | cells]

    run = check(community_officer, territory.community, "stations", book("stations", rows))

    assert problems(run) == [(2, column)]
    assert not Station.objects.exists()


def test_two_open_centres_for_one_community_are_refused(community_officer, territory):
    second = station_rows()[1] | {"code": "ST-C1B"}
    rows = [station_rows()[1], second]

    run = check(community_officer, territory.community, "stations", book("stations", rows))

    assert problems(run) == [(3, "Kind")]


def test_a_station_outside_the_importing_area_is_refused(community_officer, territory):
    rows = [station_rows()[0] | {"area": "G3", "longitude": 120.1, "latitude": 31.15}]

    run = check(community_officer, territory.community, "stations", book("stations", rows))

    assert problems(run) == [(2, "Area code")]


# --- Co-building units ----------------------------------------------------------------------


def unit_rows():
    return [
        {
            "community": "C1",
            "name": "区税务局",
            "kind": "government",
            "contact_name": "刘主任",
            "contact_phone": "13812345678",
            "agreement_signed_on": "2024-01-15",
            "agreement_ends_on": "2026-12-31",
            "commitments": "每月一次政策宣讲",
        },
        {
            "community": "C1",
            "name": "第一小学",
            "kind": "School",
            "contact_phone": "0519-8888 6666",
        },
    ]


@pytest.fixture
def old_unit(territory):
    return CoBuildingUnit.objects.create(
        community=territory.community, name="第一小学", kind="other", contact_name="旧"
    )


def test_a_good_unit_file_creates_and_updates_units(community_officer, territory, old_unit):
    run = run_import(community_officer, territory.community, "units", book("units", unit_rows()))

    assert run.status == S.DONE, run.problems
    assert tally(run, "units") == {"created": 1, "updated": 1, "unchanged": 0}
    old_unit.refresh_from_db()
    assert (old_unit.kind, old_unit.contact_name, old_unit.contact_phone) == (
        "school",
        "",
        "051988886666",
    )
    assert CoBuildingUnit.objects.get(name="区税务局").agreement_ends_on.year == 2026


def test_importing_units_again_or_their_masked_export_changes_nothing(
    community_officer, street_officer, territory
):
    data = book("units", unit_rows())
    run_import(community_officer, territory.community, "units", data)

    again = run_import(community_officer, territory.community, "units", data)
    masked = export(street_officer, territory.street, "units")
    back = run_import(street_officer, territory.street, "units", masked)

    assert tally(again, "units") == {"created": 0, "updated": 0, "unchanged": 2}
    assert "138****5678" in [r[4] for r in exported_rows(masked, "units")]
    assert back.status == S.DONE, back.problems
    assert tally(back, "units") == {"created": 0, "updated": 0, "unchanged": 2}
    assert CoBuildingUnit.objects.get(name="区税务局").contact_phone == "13812345678"


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"community": "NOPE"}, "Community code"),
        ({"community": "G1"}, "Community code"),
        ({"name": ""}, "Name"),
        ({"kind": "club"}, "Kind"),
        ({"contact_phone": "123"}, "Contact phone"),
        ({"contact_phone": "138****0000"}, "Contact phone"),
        ({"agreement_signed_on": "someday"}, "Agreement signed on"),
        ({"agreement_ends_on": "2020-01-01"}, "Agreement ends on"),
    ],
)
def test_a_bad_unit_cell_is_reported_and_nothing_written(
    community_officer, territory, cells, column
):
    rows = [unit_rows()[0] | cells]

    run = check(community_officer, territory.community, "units", book("units", rows))

    assert problems(run) == [(2, column)]
    assert not CoBuildingUnit.objects.exists()


def test_a_unit_outside_the_importing_area_is_refused(community_officer, territory):
    rows = [unit_rows()[0] | {"community": "C2"}]

    run = check(community_officer, territory.community, "units", book("units", rows))

    assert problems(run) == [(2, "Community code")]


# --- The catalogue of matters ---------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    from core.models import CalendarDay
    from tickets.catalogue import fill_defaults

    fill_defaults(Department, Category, Matter, CalendarDay)


def matter_rows():
    return [
        {
            "code": "graffiti",
            "name_en": "Graffiti on a wall",
            "name_zh": "墙面乱涂乱画",
            "category": "environment",
            "owner_level": "grid",
            "response_limit": 4,
            "completion_limit": 3,
            "photo_required": "yes",
            "earns_points": "是",
        },
        {
            "code": "street_light",
            "name_en": "Street light out",
            "name_zh": "路灯不亮",
            "category": "facilities",
            "department": "power",
            "owner_level": "Department",
            "response_limit": 8,
            "response_unit": "hours",
            "completion_limit": 2,
            "completion_unit": "working days",
            "photo_required": "yes",
            "escalate_after_hours": 12,
        },
    ]


def test_a_good_matter_file_adds_and_changes_matters(district_officer, territory, catalogue):
    run = run_import(
        district_officer, territory.district, "matters", book("matters", matter_rows())
    )

    assert run.status == S.DONE, run.problems
    assert tally(run, "matters") == {"created": 1, "updated": 1, "unchanged": 0}
    graffiti = Matter.objects.get(code="graffiti")
    assert (graffiti.category.code, graffiti.response_unit, graffiti.earns_points) == (
        "environment",
        "hours",
        True,
    )
    light = Matter.objects.get(code="street_light")
    assert (light.owner_level, light.department.code, light.escalate_after_hours) == (
        "department",
        "power",
        12,
    )


def test_importing_matters_again_or_their_export_changes_nothing(
    district_officer, territory, catalogue
):
    data = book("matters", matter_rows())
    run_import(district_officer, territory.district, "matters", data)

    again = run_import(district_officer, territory.district, "matters", data)
    exported = export(district_officer, territory.district, "matters", language="zh-hans")
    back = run_import(district_officer, territory.district, "matters", exported)

    assert tally(again, "matters") == {"created": 0, "updated": 0, "unchanged": 2}
    assert back.status == S.DONE, back.problems
    assert tally(back, "matters") == {
        "created": 0,
        "updated": 0,
        "unchanged": Matter.objects.count(),
    }


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"code": "Bad Code"}, "Matter code"),
        ({"name_zh": ""}, "Name (Chinese)"),
        ({"category": "nope"}, "Category code"),
        ({"department": "nope"}, "Department code"),
        ({"owner_level": "department"}, "Department code"),
        ({"owner_level": "city"}, "Owned by"),
        ({"response_limit": 0}, "Response time limit"),
        ({"completion_limit": 1.5}, "Completion time limit"),
        ({"completion_unit": "weeks"}, "Completion unit"),
        ({"photo_required": "maybe"}, "Photo required"),
    ],
)
def test_a_bad_matter_cell_is_reported_and_nothing_written(
    district_officer, territory, catalogue, cells, column
):
    rows = [matter_rows()[0] | cells]

    run = check(district_officer, territory.district, "matters", book("matters", rows))

    assert problems(run) == [(2, column)]
    assert not Matter.objects.filter(code="graffiti").exists()


def test_matters_are_refused_below_the_district(street_officer, territory, catalogue):
    with pytest.raises(PermissionDenied):
        check(street_officer, territory.street, "matters", book("matters", matter_rows()))
    assert not Matter.objects.filter(code="graffiti").exists()


def test_a_street_officer_cannot_import_matters_for_the_district(
    street_officer, territory, catalogue
):
    with pytest.raises(PermissionDenied):
        check(street_officer, territory.district, "matters", book("matters", matter_rows()))


# --- Templates and Chinese files ------------------------------------------------------------

PEOPLE_KINDS = ["staff", "members", "branches", "stations", "units", "matters"]


@pytest.mark.parametrize("kind", PEOPLE_KINDS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_kind_has_a_template_with_its_headers(kind, language):
    found = kind_named(kind)
    data = services.template_bytes(kind, language)

    sheet = load_workbook(io.BytesIO(data))[found.sheets[0].title(language)]

    assert [cell.value for cell in sheet[1]] == [
        c.header(language) for c in found.sheets[0].columns
    ]


def test_a_chinese_csv_of_members_in_gb18030_imports(community_officer, territory, branch):
    text = (
        "姓名,手机号码,党员类型,社区编码,支部编码,是否在册\n"
        "孙党员,13612349999,离退休党员,C1,C1-B01,是\n"
    )

    run = run_import(
        community_officer,
        territory.community,
        "members",
        text.encode("gb18030"),
        name="党员.csv",
    )

    assert run.status == S.DONE, run.problems
    sun = PartyMember.objects.get(name="孙党员")
    assert (sun.kind, sun.branch, sun.active) == ("retired", branch, True)


def test_a_chinese_staff_workbook_with_role_labels_imports(street_officer, territory):
    found = kind_named("staff")
    workbook = load_workbook(io.BytesIO(services.template_bytes("staff", "zh-hans")))
    sheet = workbook[found.sheets[0].title("zh-hans")]
    sheet.append(["陈志愿", "13612348888", "", "网格志愿者", "G2", "2025-05-01", ""])
    out = io.BytesIO()
    workbook.save(out)

    run = run_import(street_officer, territory.street, "staff", out.getvalue())

    assert run.status == S.DONE, run.problems
    assert Post.objects.filter(user__phone="13612348888", role="volunteer").exists()


# --- At the command line --------------------------------------------------------------------


@pytest.mark.parametrize("kind", PEOPLE_KINDS)
def test_an_operators_export_imports_back_unchanged_at_the_command_line(
    kind, territory, member, group, secretary, old_unit, catalogue, tmp_path
):
    from django.core.management import call_command

    run_import(None, territory.district, "stations", book("stations", station_rows()))
    path = tmp_path / f"{kind}.xlsx"
    call_command("export_data", kind, str(path), area="D", stdout=io.StringIO())

    out = io.StringIO()
    call_command("import_data", kind, str(path), area="D", stdout=out)

    run = ImportRun.objects.filter(kind=kind).latest("pk")
    assert run.status == S.DONE, run.problems
    assert run.tallies[kind]["created"] == run.tallies[kind]["updated"] == 0
    personal = kind_named(kind).personal
    assert ExportRecord.objects.filter(kind=kind, by=None, full_personal=personal).exists()
