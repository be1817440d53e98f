import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mediation import services
from mediation.figures import DEFINITIONS, figures
from mediation.models import Case, Outcome, Party, Risk, Status
from visits.models import Visit

pytestmark = pytest.mark.django_db


def _cases(n, grid, by, household=None):
    cases = Case.objects.bulk_create(
        [
            Case(
                grid=grid,
                type="neighbours",
                risk="low",
                summary=f"纠纷{i}",
                opened_by=by,
                mediator=by,
            )
            for i in range(n)
        ]
    )
    Party.objects.bulk_create(
        [Party(case=c, role="applicant", name="王", phone="13812345678") for c in cases]
    )
    return cases


@pytest.mark.parametrize("rows", [1, 50])
def test_the_case_list_takes_the_same_queries_for_1_and_50_cases(
    client, territory, own_worker, rows, django_assert_max_num_queries
):
    _cases(rows, territory.grid, own_worker)
    client.force_login(own_worker)
    url = reverse("mediation_cases", kwargs={"code": territory.grid.code})
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(response.context["cases"]) == min(rows, 25)
    assert response.context["page"].paginator.count == rows
    # Parties are masked in the list.
    assert "138****5678" in response.content.decode()
    assert "13812345678" not in response.content.decode()


def test_page_two_shows_the_older_cases_and_keeps_the_filters(
    client, territory, street_officer, own_worker, django_assert_max_num_queries
):
    start = timezone.now() - dt.timedelta(days=60)
    cases = _cases(60, territory.grid, own_worker)
    for i, case in enumerate(cases):
        case.opened_at = start + dt.timedelta(days=i)
    Case.objects.bulk_update(cases, ["opened_at"])
    Case.objects.filter(pk=cases[-1].pk).update(type="land")
    client.force_login(street_officer)
    url = reverse("mediation_cases", kwargs={"code": territory.street.code})
    first = client.get(url, {"type": "neighbours"})
    newest = [c.pk for c in reversed(cases[:-1])]
    assert [c.pk for c in first.context["cases"]] == newest[:25]
    assert first.context["page"].paginator.count == 59
    body = first.content.decode()
    assert 'href="?type=neighbours&amp;page=2"' in body
    with django_assert_max_num_queries(12):
        second = client.get(url, {"type": "neighbours", "page": 2})
    assert second.status_code == 200
    assert [c.pk for c in second.context["cases"]] == newest[25:50]
    assert "138****5678" in second.content.decode()
    assert 'href="?type=neighbours&amp;page=3"' in second.content.decode()
    assert [c.pk for c in client.get(url, {"type": "neighbours", "page": 3}).context["cases"]] == (
        newest[50:]
    )
    # A page past the end shows the last one rather than a 404.
    assert client.get(url, {"page": 99}).context["page"].number == 3


@pytest.mark.parametrize("rows", [1, 50])
def test_the_screening_takes_the_same_queries_for_1_and_50_cases(
    client, territory, street_officer, own_worker, rows, django_assert_max_num_queries
):
    _cases(rows, territory.grid, own_worker)
    client.force_login(street_officer)
    url = reverse("mediation_screening", kwargs={"code": territory.community.code})
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(response.context["s"].cases) == rows


def test_the_list_filters_by_status_type_and_risk(client, territory, own_worker, mediation_case):
    client.force_login(own_worker)
    url = reverse("mediation_cases", kwargs={"code": territory.grid.code})
    assert len(client.get(url, {"type": "neighbours"}).context["cases"]) == 1
    assert len(client.get(url, {"type": "family"}).context["cases"]) == 0
    assert len(client.get(url, {"status": "closed"}).context["cases"]) == 0
    assert len(client.get(url, {"risk": "low"}).context["cases"]) == 1


def test_the_case_page_shows_full_numbers_to_the_grid_team_after_a_reason_and_logs_it(
    client, own_worker, street_officer, mediation_case
):
    client.force_login(own_worker)
    url = reverse("mediation_case", kwargs={"pk": mediation_case.pk})
    page = client.get(url).content.decode()
    assert "13812345678" not in page and 'name="password"' in page
    page = client.post(url, {"reason": "visit", "password": "pw-for-tests-2026"}).content.decode()
    assert "13812345678" in page
    party = mediation_case.parties.get()
    entries = LogEntry.objects.get_for_object(party).filter(action=LogEntry.Action.ACCESS)
    assert entries.count() == 1
    assert entries.get().additional_data["reason"] == "visit"
    assert entries.get().additional_data["reauthenticated"] is True
    client.force_login(street_officer)
    page = client.get(reverse("mediation_case", kwargs={"pk": mediation_case.pk})).content.decode()
    assert "138****5678" in page and "13812345678" not in page


def test_a_worker_records_a_case_with_its_parties(client, territory, own_worker, household):
    client.force_login(own_worker)
    response = client.post(
        reverse("mediation_new", kwargs={"code": territory.grid.code}),
        {
            "type": "property",
            "risk": "medium",
            "summary": "物业费纠纷",
            "household": household.pk,
            "applicant_name": "李秀英",
            "applicant_phone": "139 1234 5678",
            "respondent_name": "物业公司",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "mediation_case", kwargs={"pk": case.pk}
    )
    assert sorted(case.parties.values_list("name", flat=True)) == ["李秀英", "物业公司"]


def test_a_bad_phone_stays_on_the_form_and_saves_nothing(client, territory, own_worker):
    client.force_login(own_worker)
    response = client.post(
        reverse("mediation_new", kwargs={"code": territory.grid.code}),
        {
            "type": "family",
            "risk": "low",
            "summary": "x",
            "applicant_name": "王",
            "applicant_phone": "12",
        },
    )
    assert response.status_code == 200 and "applicant_phone" in response.context["form"].errors
    assert not Case.objects.exists()


def test_closing_from_the_page_with_a_signed_copy_then_reading_it(
    client, own_worker, mediation_case
):
    from tests.mediation.fixtures import jpeg

    client.force_login(own_worker)
    response = client.post(
        reverse("mediation_close", kwargs={"pk": mediation_case.pk}),
        {
            "version": mediation_case.version,
            "outcome": "agreement",
            "agreement_text": "和解",
            "signed_copy": jpeg(),
        },
    )
    assert response.status_code == 302
    mediation_case.refresh_from_db()
    assert mediation_case.status == Status.CLOSED and mediation_case.signed_copy
    copy = client.get(reverse("mediation_signed_copy", kwargs={"pk": mediation_case.pk}))
    assert copy.status_code == 200 and copy["Content-Type"] == "image/jpeg"


def test_the_screening_lists_overdue_follow_ups_and_disputed_households(
    client, territory, own_worker, street_officer, closed_mediation_case, household, time_machine
):
    import uuid

    later = timezone.now() + dt.timedelta(days=40)
    time_machine.move_to(later)
    Visit.objects.create(
        client_id=uuid.uuid4(),
        grid=territory.grid,
        household=household,
        by=own_worker,
        kind="routine",
        tags=["dispute"],
        visited_at=later - dt.timedelta(hours=1),
    )
    client.force_login(street_officer)
    url = reverse("mediation_screening", kwargs={"code": territory.community.code})
    s = client.get(url).context["s"]
    assert [c.pk for c in s.overdue] == [closed_mediation_case.pk]
    assert [h.pk for h, _when in s.households] == [household.pk]
    # A later visit that found all well takes the household off the list.
    Visit.objects.create(
        client_id=uuid.uuid4(),
        grid=territory.grid,
        household=household,
        by=own_worker,
        kind="routine",
        tags=["all_well"],
        visited_at=later - dt.timedelta(minutes=5),
    )
    assert client.get(url).context["s"].households == []
    export = client.get(
        reverse("mediation_screening_export", kwargs={"code": territory.community.code})
    )
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")
    # Watermarked: who and when above every sheet, and in the file name.
    book = load_workbook(io.BytesIO(export.content))
    assert all(str(sheet["A1"].value).startswith("Exported by ") for sheet in book.worksheets)
    assert "-street_officer-" in export["Content-Disposition"]


@pytest.mark.parametrize("many", [False, True])
def test_figures_in_one_query_whatever_the_areas(
    territory, own_worker, street_officer, many, django_assert_num_queries
):
    today = timezone.localdate()
    a = _cases(4, territory.grid, own_worker)
    services.close_case(by=own_worker, case=a[0], outcome=Outcome.AGREEMENT, agreement_text="x")
    services.close_case(by=own_worker, case=a[1], outcome=Outcome.POLICE, referred_to="派出所")
    Case.objects.filter(pk=a[2].pk).update(risk=Risk.HIGH, type="family")
    # One in the next grid (the community counts it), and one opened before the period.
    b = _cases(2, territory.neighbour_grid, own_worker)
    Case.objects.filter(pk=b[1].pk).update(opened_at=timezone.now() - dt.timedelta(days=400))
    areas = [territory.district, territory.street, territory.community, territory.grid]
    if many:
        areas += [territory.other_street, territory.neighbour_grid]
    with django_assert_num_queries(1):
        got = figures(areas, today - dt.timedelta(days=30), today)
    keys = {d.key for d in DEFINITIONS}
    assert set(got[territory.grid.pk]) == keys
    grid = got[territory.grid.pk]
    assert grid["cases_opened"] == 4 and grid["cases_closed"] == 2
    assert grid["resolved_share"] == 0.5 and grid["referred_share"] == 0.5
    assert grid["high_risk_open"] == 1
    assert grid["type_family"] == 1 and grid["type_neighbours"] == 3
    assert got[territory.community.pk]["cases_opened"] == 5
    assert got[territory.district.pk]["cases_opened"] == 5
    if many:
        assert got[territory.other_street.pk]["cases_opened"] == 0
        assert got[territory.other_street.pk]["resolved_share"] is None


def test_raising_the_risk_from_the_page_reports_it_up(
    client, own_worker, street_officer, mediation_case
):
    from notifications.models import NoticeKind, Notification
    from notifications.texts import describe

    client.force_login(own_worker)
    url = reverse("mediation_risk", kwargs={"pk": mediation_case.pk})
    response = client.post(url, {"risk": "high", "version": mediation_case.version})
    assert response.status_code == 302
    mediation_case.refresh_from_db()
    assert mediation_case.risk == Risk.HIGH
    notice = Notification.objects.get(kind=NoticeKind.HIGH_RISK_DISPUTE, recipient=street_officer)
    text = describe(notice)
    assert text.link == reverse("mediation_case", kwargs={"pk": mediation_case.pk})
    assert "幸福第一网格" in text.title
    # A stale form (someone changed it meanwhile) changes nothing.
    client.post(url, {"risk": "low", "version": mediation_case.version - 1})
    mediation_case.refresh_from_db()
    assert mediation_case.risk == Risk.HIGH
