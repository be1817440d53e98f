"""What an import changed shows in each object's history, named by the run and its file."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.models import Household, Resident
from tests.onboarding.test_households_import import (
    HEAD_ID,
    _rows,
    check,
    good_households,
    good_residents,
    load,
    workbook,
)

pytestmark = pytest.mark.django_db


def _reimport_with(territory, street_officer, capture, *, households=None, residents=None):
    load(
        street_officer,
        territory.street,
        workbook(good_households(), good_residents()),
        capture,
    )
    return load(
        street_officer,
        territory.street,
        workbook(households or good_households(), residents or good_residents()),
        capture,
    )


def test_a_household_updated_by_an_import_shows_the_run_in_its_history(
    client, own_worker, territory, street_officer, django_capture_on_commit_callbacks
):
    households = good_households()
    households[0]["note"] = "三楼，电梯坏了"
    run = _reimport_with(
        territory, street_officer, django_capture_on_commit_callbacks, households=households
    )
    client.force_login(own_worker)

    household = Household.objects.get(number="H1")
    html = client.get(reverse("household_detail", args=[household.pk])).content.decode()

    assert f"Imported from people.xlsx (import #{run.pk})" in html
    assert "三楼，电梯坏了" in html
    assert str(street_officer) in html


def test_a_resident_changed_by_an_import_is_shown_masked_with_its_care(
    client, own_worker, territory, street_officer, django_capture_on_commit_callbacks
):
    residents = good_residents()
    residents[0].update(phone="13900001111", care="Disabled")
    _reimport_with(
        territory, street_officer, django_capture_on_commit_callbacks, residents=residents
    )
    client.force_login(own_worker)

    resident = Resident.objects.get(id_number=HEAD_ID)
    html = client.get(reverse("resident_edit", args=[resident.pk])).content.decode()
    history = html[html.index('class="mt-3 mb-3 history"') :]

    assert "Imported from people.xlsx" in history
    assert "13900001111" not in history and "13812345678" not in history
    assert "Elderly living alone" in history and "Disabled" in history


def test_an_import_logs_its_objects_in_a_few_inserts_whatever_the_rows(
    territory, street_officer, django_capture_on_commit_callbacks
):
    from onboarding import engine
    from onboarding.models import ImportRun

    run = check(street_officer, territory.street, workbook(*_rows(60)))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CONFIRMED)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        engine.write(run.pk)

    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "auditlog_logentry"')]
    assert len(inserts) == 2  # the households' entries, the residents' entries
    assert Household.objects.count() == 60


def test_objects_an_import_saves_one_by_one_carry_the_run_and_the_importer(
    territory, street_officer
):
    from auditlog.models import LogEntry

    from grids.models import Post
    from tests.onboarding.people import run_import
    from tests.onboarding.people import workbook as book

    rows = [{"name": "王芳", "mobile": "13812340001", "role": "grid_worker", "area": "G1"}]
    run = run_import(street_officer, territory.street, "staff", book("staff", rows), "staff.xlsx")

    post = Post.objects.get(user__username="13812340001")
    entry = LogEntry.objects.get_for_object(post).get()
    assert entry.additional_data == {"imported": {"run": run.pk, "file": "staff.xlsx"}}
    assert entry.actor == street_officer
