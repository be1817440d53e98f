"""The catalogue of matters and departments on its own pages (issue 20): district staff keep
it through the same services as the admin; nobody else finds it; open requests keep their
deadlines; every change is on the object's page as history."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets import services
from tickets.models import Category, Department, Matter

pytestmark = pytest.mark.django_db


def _matter_data(matter: Matter, **changes) -> dict:
    data = {
        "version": matter.version,
        "name_zh": matter.name_zh,
        "name_en": matter.name_en,
        "category": matter.category_id,
        "owner_level": matter.owner_level,
        "department": matter.department_id or "",
        "response_limit": matter.response_limit,
        "response_unit": matter.response_unit,
        "completion_limit": matter.completion_limit,
        "completion_unit": matter.completion_unit,
        "escalate_after_hours": matter.escalate_after_hours,
        "photo_required": "on" if matter.photo_required else "",
        "earns_points": "on" if matter.earns_points else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_district_officer_adds_a_matter_to_the_catalogue(client, district_officer, matter):
    client.force_login(district_officer)
    data = _matter_data(matter, code="street_lamp", name_zh="路灯不亮", name_en="Street lamp out")
    response = client.post(reverse("matter_new"), data, follow=True)
    assert response.status_code == 200
    added = Matter.objects.get(code="street_lamp")
    assert (added.name_zh, added.response_limit) == ("路灯不亮", matter.response_limit)
    assert LogEntry.objects.get_for_object(added).get().actor == district_officer
    assert "Street lamp out" in client.get(reverse("catalogue")).content.decode()


def test_changing_a_matter_keeps_the_deadlines_of_open_requests_and_says_so(
    client, district_officer, ticket
):
    matter = ticket.matter
    response_due = ticket.response_due
    client.force_login(district_officer)
    page = client.get(reverse("matter_edit", args=[matter.pk])).content.decode()
    assert "Saving does not move their deadlines" in page
    response = client.post(
        reverse("matter_edit", args=[matter.pk]),
        _matter_data(matter, response_limit=1, completion_limit=1),
        follow=True,
    )
    assert "Deadlines already set on open requests stay" in response.content.decode()
    matter.refresh_from_db()
    ticket.refresh_from_db()
    assert (matter.response_limit, matter.completion_limit) == (1, 1)
    assert ticket.response_due == response_due


def test_a_bad_matter_form_shows_field_errors_and_changes_nothing(client, district_officer, matter):
    client.force_login(district_officer)
    before = Matter.objects.values().get(pk=matter.pk)
    response = client.post(
        reverse("matter_edit", args=[matter.pk]),
        _matter_data(matter, owner_level="department", department="", response_limit=0),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "department" in form.errors and "response_limit" in form.errors
    assert Matter.objects.values().get(pk=matter.pk) == before


def test_a_matters_code_is_permanent(district_officer, matter):
    with pytest.raises(Exception) as raised:
        services.update_matter(by=district_officer, matter=matter, code="renamed")
    assert "permanent" in str(raised.value)
    assert Matter.objects.filter(code="stairwell_clutter").exists()


def test_a_matter_saved_meanwhile_refuses_the_stale_form_politely(client, district_officer, matter):
    client.force_login(district_officer)
    stale = _matter_data(matter, name_en="Mine")
    services.update_matter(by=district_officer, matter=matter, name_en="Theirs")
    response = client.post(reverse("matter_edit", args=[matter.pk]), stale)
    assert "Someone else saved this record" in response.content.decode()
    matter.refresh_from_db()
    assert matter.name_en == "Theirs"


def test_a_deactivated_matter_stays_in_the_catalogue_and_can_come_back(
    client, district_officer, matter
):
    client.force_login(district_officer)
    url = reverse("matter_active", args=[matter.pk])
    client.post(url, {"active": "0", "version": matter.version})
    matter.refresh_from_db()
    assert not matter.active
    client.post(url, {"active": "1", "version": matter.version})
    matter.refresh_from_db()
    assert matter.active


def test_a_department_that_takes_active_matters_stays_active(client, district_officer, matter):
    department = Department.objects.create(code="water", name_en="Water", name_zh="水务")
    services.update_matter(by=district_officer, matter=matter, department=department)
    client.force_login(district_officer)
    response = client.post(
        reverse("department_active", args=[department.pk]),
        {"active": "0", "version": department.version},
        follow=True,
    )
    assert "still takes active matters" in response.content.decode()
    department.refresh_from_db()
    assert department.active


def test_a_department_is_added_with_its_members_and_its_page_shows_the_history(
    client, district_officer, street_officer
):
    client.force_login(district_officer)
    response = client.post(
        reverse("department_new"),
        {
            "code": "housing_board",
            "name_zh": "住建局",
            "name_en": "Housing",
            "members": [street_officer.pk],
        },
    )
    department = Department.objects.get(code="housing_board")
    assert list(department.members.all()) == [street_officer]
    client.post(
        reverse("department_edit", args=[department.pk]),
        {
            "version": department.version,
            "name_zh": "住房和城乡建设局",
            "name_en": "Housing",
            "members": [street_officer.pk],
        },
    )
    page = client.get(reverse("department_edit", args=[department.pk])).content.decode()
    assert "History" in page and "住房和城乡建设局" in page and "住建局" in page
    assert response.status_code == 302


@pytest.mark.parametrize("persona_name", ["own_worker", "street_officer", "other_street_officer"])
def test_nobody_but_district_staff_finds_the_catalogue_or_a_link_to_it(
    client, persona, persona_name, territory, matter
):
    persona(persona_name)
    assert client.get(reverse("catalogue")).status_code == 404
    assert client.get(reverse("matter_edit", args=[matter.pk])).status_code == 404
    home = client.get(reverse("area_detail", args=[territory.grid.code]), follow=True)
    assert reverse("catalogue") not in home.content.decode()


def test_district_staff_find_the_catalogue_and_api_clients_from_operations(
    client, district_officer
):
    client.force_login(district_officer)
    page = client.get(reverse("operations")).content.decode()
    assert reverse("catalogue") in page and reverse("api_clients") in page


def test_the_admin_changes_a_matter_through_the_same_service(admin_client, matter):
    department = Department.objects.create(
        code="water", name_en="Water", name_zh="水务", active=False
    )
    data = _matter_data(matter, code=matter.code, department=department.pk, active="on")
    data.pop("version")
    response = admin_client.post(reverse("admin:tickets_matter_change", args=[matter.pk]), data)
    # The service's rule: an active matter goes to an active department.
    assert response.status_code == 200 and "deactivated" in response.content.decode()
    matter.refresh_from_db()
    assert matter.department_id is None
    data["department"] = ""
    data["name_en"] = "Cluttered stairwell"
    version = matter.version
    response = admin_client.post(reverse("admin:tickets_matter_change", args=[matter.pk]), data)
    assert response.status_code == 302
    matter.refresh_from_db()
    assert (matter.name_en, matter.version) == ("Cluttered stairwell", version + 1)


def _queries(client, url) -> int:
    cache.clear()  # every count with nothing cached: the same work for the page
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_catalogue_takes_as_many_queries_for_fifty_matters_as_for_one(
    client, district_officer, matter
):
    Matter.objects.exclude(pk=matter.pk).delete()
    department = Department.objects.create(code="water", name_en="Water", name_zh="水务")
    client.force_login(district_officer)
    one = _queries(client, reverse("catalogue"))
    category = Category.objects.first()
    for n in range(49):
        Matter.objects.create(
            code=f"m{n}",
            name_en=f"M{n}",
            name_zh=f"事项{n}",
            category=category,
            department=department,
            response_limit=2,
            completion_limit=3,
        )
    assert _queries(client, reverse("catalogue")) == one
