"""PIPL pages (issue 26): the district's retention periods, and the printout of what is held
about one resident, with sections from the apps that hold something about them."""

import datetime as dt
import uuid

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from core import retention
from core.models import RetentionPolicy
from grids import privacy
from grids.models import CareCategory, ResidentCare
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

RETENTION = reverse("retention_settings")


def _periods(**changes) -> dict:
    return {**retention.configured_days(), **changes}


# --- Retention periods -------------------------------------------------------------------------


def test_district_staff_set_a_period_and_it_is_audited(client, district_officer):
    client.force_login(district_officer)
    page = client.get(RETENTION)
    assert page.status_code == 200
    assert "Visit and patrol photos" in page.content.decode()
    response = client.post(RETENTION, _periods(**{"visits.photos": 1500}))
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(kind="visits.photos").days == 1500
    assert retention.days_for("visits.photos") == 1500
    entry = LogEntry.objects.get_for_model(RetentionPolicy).get()
    assert entry.actor == district_officer


def test_a_period_below_its_floor_is_refused_on_its_field(client, district_officer):
    client.force_login(district_officer)
    response = client.post(RETENTION, _periods(**{"core.audit_log": 180, "visits.photos": 2000}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["core.audit_log"]
    assert "At least 1096 days" in errors["core.audit_log"][0]
    # Nothing saved: not even the valid period beside it.
    assert not RetentionPolicy.objects.exists()


def test_saving_the_defaults_writes_nothing(client, district_officer):
    client.force_login(district_officer)
    client.post(RETENTION, _periods())
    assert not RetentionPolicy.objects.exists()


def test_only_district_staff_may_set_periods(street_officer):
    with pytest.raises(PermissionDenied):
        privacy.set_retention(by=street_officer, periods={"visits.photos": 2000})


def test_a_bad_number_is_a_form_error_not_a_500(client, district_officer):
    client.force_login(district_officer)
    response = client.post(RETENTION, _periods(**{"visits.photos": "abc"}))
    assert response.status_code == 200
    assert "visits.photos" in response.context["form"].errors


def test_the_operations_page_shows_the_last_run_per_kind(client, district_officer):
    RetentionPolicy.objects.create(kind="tickets.reporter", days=400)
    retention.apply()
    client.force_login(district_officer)
    page = client.get(reverse("operations")).content.decode()
    assert "Reporter&#x27;s name and mobile on finished requests" in page
    assert "0 anonymised" in page and "0 removed" in page
    next_cutoff = (timezone.now() + dt.timedelta(days=1) - dt.timedelta(days=400)).date()
    assert next_cutoff.isoformat() in page
    assert RETENTION in page


# --- Subject access ----------------------------------------------------------------------------


@pytest.fixture
def person(household):
    person = ResidentFactory(household=household, name="王秀英", birth_date=dt.date(1948, 3, 2))
    ResidentCare.objects.create(resident=person, category=CareCategory.ELDERLY_ALONE)
    return person


@pytest.fixture
def neighbour(household):
    """Someone else in the same household: their details are not on the person's printout."""
    return ResidentFactory(household=household, name="李建国")


def _page(client, user, person):
    client.force_login(user)
    return client.get(reverse("resident_subject_access", args=[person.pk]))


def test_the_printout_holds_the_person_s_full_details_and_not_a_housemate_s(
    client, own_worker, person, neighbour
):
    response = _page(client, own_worker, person)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    page = response.content.decode()
    assert person.id_number in page and person.phone in page and "1948-03-02" in page
    assert "Elderly living alone" in page
    assert neighbour.id_number not in page and neighbour.phone not in page
    assert "Printed by" in page and str(own_worker) in page


def test_the_printout_is_audited_as_a_subject_access(client, own_worker, person):
    _page(client, own_worker, person)
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_pk=str(person.pk))
    assert entry.actor == own_worker
    assert entry.additional_data == {
        "revealed": ["id_number", "phone"],
        "reason": "subject_access",
    }


def test_the_household_page_links_to_the_printout_for_those_who_may_reveal(
    client, own_worker, street_officer, person
):
    url = reverse("resident_subject_access", args=[person.pk])
    client.force_login(own_worker)
    assert (
        url in client.get(reverse("household_detail", args=[person.household_id])).content.decode()
    )
    client.force_login(street_officer)
    page = client.get(reverse("household_detail", args=[person.household_id]))
    assert url not in page.content.decode()


def test_a_neighbour_grid_s_worker_finds_no_such_page(client, neighbour_worker, person):
    assert _page(client, neighbour_worker, person).status_code == 404
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def _visit(by, household, findings):
    from visits import services as visits
    from visits.models import VisitKind

    visits.log_visit(
        by=by,
        client_id=uuid.uuid4(),
        kind=VisitKind.ROUTINE,
        household=household,
        findings=findings,
    )


def _request(territory, matter, phone, description):
    from tickets import services
    from tickets.models import Channel

    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description=description,
        reporter_phone=phone,
        reporter_name="王阿姨",
        grid=territory.grid,
    )


def _member(territory, phone, name):
    from branches.models import PartyMember

    return PartyMember.objects.create(name=name, phone=phone, community=territory.community)


def _dispute(own_worker, territory, person, summary):
    from mediation.models import Case, Party

    case = Case.objects.create(
        grid=territory.grid,
        type=Case._meta.get_field("type").choices[0][0],
        risk=Case._meta.get_field("risk").choices[0][0],
        summary=summary,
        opened_by=own_worker,
        mediator=own_worker,
    )
    Party.objects.create(case=case, role=Party.Role.APPLICANT, name=person.name, resident=person)


def test_each_app_s_section_lists_the_person_s_records_only(
    client, own_worker, territory, matter, person, neighbour
):
    _visit(own_worker, person.household, "老人独居，身体尚可")
    _visit(own_worker, HouseholdFactory(grid=territory.grid), "别家的走访")
    mine = _request(territory, matter, person.phone, "楼道灯坏了")
    _request(territory, matter, neighbour.phone, "别人的诉求")
    _member(territory, person.phone, person.name)
    _member(territory, neighbour.phone, neighbour.name)
    _dispute(own_worker, territory, person, "邻里漏水纠纷")
    _dispute(own_worker, territory, neighbour, "别人的纠纷")

    page = _page(client, own_worker, person).content.decode()
    assert "老人独居，身体尚可" in page and "别家的走访" not in page
    assert mine.short_code in page and "楼道灯坏了" in page and "别人的诉求" not in page
    assert "Party membership" in page and page.count(neighbour.phone) == 0
    assert "邻里漏水纠纷" in page and "别人的纠纷" not in page


def test_the_printout_s_queries_do_not_grow_with_the_records(
    client, own_worker, territory, matter, person, django_assert_max_num_queries
):
    for i in range(3):
        _visit(own_worker, person.household, f"走访{i}")
        _request(territory, matter, person.phone, f"诉求{i}")
    client.force_login(own_worker)
    url = reverse("resident_subject_access", args=[person.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as counted:
        client.get(url)
    few = len(counted.captured_queries)
    for i in range(5):
        _visit(own_worker, person.household, f"又走访{i}")
        _request(territory, matter, person.phone, f"又诉求{i}")
    with django_assert_max_num_queries(few):
        client.get(url)
