"""A list export of personal data above EXPORT_APPROVAL_ROWS rows: asked for, decided one
level up (never by the requester), downloaded watermarked until it expires, all audited."""

import csv
import datetime as dt
import io
import uuid

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from grids import exports
from grids.models import ExportApproval, ExportKind, Resident
from grids.roles import Role
from tests.factories import HouseholdFactory, PostFactory, ResidentFactory, UserFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def _residents(household, count):
    Resident.objects.bulk_create([ResidentFactory.build(household=household) for _ in range(count)])


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def export_url(territory):
    return reverse("household_export", kwargs={"code": territory.community.code})


@pytest.fixture
def large(settings, household):
    settings.EXPORT_APPROVAL_ROWS = 3
    _residents(household, 4)


def _ask(client, url, reason="走访名单核对"):
    return client.post(url, {"reason": reason})


def test_an_export_at_the_limit_downloads_at_once_with_a_watermark(
    client, community_officer, household, export_url
):
    _residents(household, 200)
    client.force_login(community_officer)
    response = client.get(export_url)
    assert response.status_code == 200 and response.streaming
    rows = _csv(response)
    assert rows[0][0].startswith("Exported by ") and "(community_officer)" in rows[0][0]
    assert len(rows) == 202  # the watermark, the header, 200 residents
    assert "-community_officer-" in response["Content-Disposition"]


def test_an_export_above_the_limit_shows_the_approval_page(
    client, community_officer, household, export_url
):
    _residents(household, 201)
    client.force_login(community_officer)
    response = client.get(export_url)
    assert response.status_code == 200 and not response.streaming
    body = response.content.decode()
    assert "201 rows of personal data" in body
    assert "一号街道" in body  # the street one level up decides
    assert not ExportApproval.objects.exists()


def test_asked_approved_one_level_up_then_downloaded_watermarked_and_audited(
    client, community_officer, street_officer, large, export_url
):
    client.force_login(community_officer)
    assert _ask(client, export_url).status_code == 302
    approval = ExportApproval.objects.get()
    assert approval.status == "pending" and approval.rows == 4
    assert approval.approver_area.code == "S1"

    client.force_login(street_officer)
    page = client.get(reverse("export_approvals")).content.decode()
    assert f"approval-{approval.pk}" in page
    decided = client.post(reverse("export_decide", args=[approval.pk]), {"decision": "approve"})
    assert decided.status_code == 302
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.decided_by == street_officer
    # The street officer cannot use it: the approval is the requester's.
    assert not client.get(approval.download_url()).streaming

    client.force_login(community_officer)
    response = client.get(approval.download_url())
    assert response.streaming
    rows = _csv(response)
    assert f"approval #{approval.pk}" in rows[0][0]
    assert len(rows) == 6
    assert "-community_officer-" in response["Content-Disposition"]
    approval.refresh_from_db()
    assert approval.downloads == 1
    download = LogEntry.objects.get_for_object(approval).get(action=LogEntry.Action.ACCESS)
    assert download.actor == community_officer
    assert download.additional_data["downloaded"] == "residents"
    # The decision is in the audit log too.
    assert LogEntry.objects.get_for_object(approval).filter(actor=street_officer).exists()


def test_the_requester_cannot_approve_their_own(client, community_officer, large, export_url):
    client.force_login(community_officer)
    _ask(client, export_url)
    approval = ExportApproval.objects.get()
    response = client.post(reverse("export_decide", args=[approval.pk]), {"decision": "approve"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        exports.approve_export(by=community_officer, approval=approval)
    approval.refresh_from_db()
    assert approval.status == "pending"


@pytest.mark.parametrize("who", ["other_street_officer", "peer_officer"])
def test_a_same_level_or_other_street_officer_cannot_approve(
    client, persona, community_officer, large, export_url, territory, who, request
):
    if who == "peer_officer":
        peer = UserFactory(username="peer_officer")
        PostFactory(user=peer, area=territory.community, role=Role.COMMUNITY_STAFF)
    client.force_login(community_officer)
    _ask(client, export_url)
    approval = ExportApproval.objects.get()
    officer = peer if who == "peer_officer" else request.getfixturevalue(who)
    client.force_login(officer)
    response = client.post(reverse("export_decide", args=[approval.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert f"approval-{approval.pk}" not in client.get(reverse("export_approvals")).content.decode()


def test_a_district_export_is_approved_by_another_district_officer(
    client, district_officer, household, settings, territory
):
    settings.EXPORT_APPROVAL_ROWS = 1
    _residents(household, 2)
    colleague = UserFactory(username="colleague")
    PostFactory(user=colleague, area=territory.district, role=Role.DISTRICT_STAFF)
    url = reverse("household_export", kwargs={"code": territory.district.code})
    client.force_login(district_officer)
    _ask(client, url)
    approval = ExportApproval.objects.get()
    assert approval.approver_area == territory.district
    assert client.post(reverse("export_decide", args=[approval.pk]), {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == "pending"
    exports.approve_export(by=colleague, approval=approval)
    assert client.get(approval.download_url()).streaming


def test_an_expired_or_refused_approval_no_longer_downloads(
    client, community_officer, street_officer, large, export_url, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(community_officer)
    _ask(client, export_url)
    approval = exports.approve_export(by=street_officer, approval=ExportApproval.objects.get())
    assert client.get(approval.download_url()).streaming
    time_machine.move_to(timezone.now() + dt.timedelta(hours=25), tick=False)
    client.force_login(community_officer)  # a session ends 12 hours after sign-in
    response = client.get(approval.download_url())
    assert not response.streaming and "Expired" in response.content.decode()
    approval.refresh_from_db()
    assert approval.downloads == 1

    _ask(client, export_url)
    again = ExportApproval.objects.filter(status="pending").get()
    exports.refuse_export(by=street_officer, approval=again, note="范围过大")
    assert not client.get(again.download_url()).streaming


def test_an_approval_is_for_its_own_filters_only(
    client, community_officer, street_officer, large, territory
):
    url = reverse("household_export", kwargs={"code": territory.community.code})
    client.force_login(community_officer)
    _ask(client, url)
    approval = exports.approve_export(by=street_officer, approval=ExportApproval.objects.get())
    other = reverse("household_export", kwargs={"code": territory.grid.code})
    assert not client.get(f"{other}?approval={approval.pk}").streaming


def test_a_bad_approval_number_or_decision_is_no_error(
    client, community_officer, street_officer, large, export_url
):
    client.force_login(community_officer)
    assert client.get(f"{export_url}?approval=abc").status_code == 200
    assert client.get(f"{export_url}?approval=99999").status_code == 200
    _ask(client, export_url)
    approval = ExportApproval.objects.get()
    client.force_login(street_officer)
    client.post(reverse("export_decide", args=[approval.pk]), {"decision": "maybe"})
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_asking_twice_for_the_same_list_keeps_one_request(
    client, community_officer, large, export_url
):
    client.force_login(community_officer)
    _ask(client, export_url)
    _ask(client, export_url)
    assert ExportApproval.objects.count() == 1


def test_a_visits_export_above_the_limit_asks_for_approval(
    client, community_officer, settings, territory
):
    settings.EXPORT_APPROVAL_ROWS = 0
    Visit.objects.create(
        client_id=uuid.uuid4(),
        grid=territory.grid,
        household=HouseholdFactory(grid=territory.grid),
        by=community_officer,
        kind="routine",
    )
    client.force_login(community_officer)
    url = reverse("visit_report_export", kwargs={"code": territory.community.code})
    response = client.get(url)
    assert not getattr(response, "streaming", False)
    _ask(client, url)
    assert ExportApproval.objects.get().kind == ExportKind.VISITS


def _approvals(count, requester, territory):
    ExportApproval.objects.bulk_create(
        [
            ExportApproval(
                requester=requester,
                area=territory.community,
                approver_area=territory.street,
                kind=ExportKind.RESIDENTS,
                path="/x/",
                rows=300,
                reason="核对",
            )
            for _ in range(count)
        ]
    )


@pytest.mark.parametrize("count", [1, 50])
def test_the_approvals_page_reads_in_a_bounded_number_of_queries(
    client, community_officer, street_officer, territory, count, django_assert_max_num_queries
):
    _approvals(count, community_officer, territory)
    client.force_login(street_officer)
    url = reverse("export_approvals")
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count('value="approve"') == count


def test_the_area_page_links_the_approvals_page_only_for_those_who_export(
    client, own_worker, community_officer, territory
):
    client.force_login(own_worker)
    grid_page = client.get(reverse("area_detail", args=[territory.grid.code])).content.decode()
    assert reverse("export_approvals") not in grid_page
    assert client.get(reverse("export_approvals")).status_code == 404
    client.force_login(community_officer)
    page = client.get(reverse("area_detail", args=[territory.community.code])).content.decode()
    assert reverse("export_approvals") in page
