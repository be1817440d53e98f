import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group

from tests.factories import HouseholdFactory, ResidentFactory
from tests.stepup import confirm_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(request, persona, client):
    def login(name, group):
        user = persona(name)
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=group))
        return user

    return login


def test_admin_lists_are_scoped_for_officers(officer, client, territory, resident):
    other = ResidentFactory(
        household=HouseholdFactory(grid=territory.other_street_grid), name="外街居民"
    )
    officer("street_officer", "Street staff")
    body = client.get("/admin/grids/resident/").content.decode()
    assert resident.name in body and other.name not in body
    assert resident.masked_phone in body and resident.phone not in body
    assert client.get(f"/admin/grids/resident/{other.pk}/change/").status_code == 302  # "not found"
    areas = client.get("/admin/grids/area/").content.decode()
    # Names, not codes: "G4" may turn up inside a random CSRF token.
    assert "幸福第一网格" in areas and "科技园专属网格" not in areas


def test_an_officer_without_reveal_rights_sees_masked_values_in_the_admin_form(
    officer, client, resident
):
    officer("street_officer", "Street staff")
    body = client.get(f"/admin/grids/resident/{resident.pk}/change/").content.decode()
    assert resident.masked_id_number in body and resident.id_number not in body
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_a_community_officer_opening_a_resident_in_the_admin_is_logged(officer, client, resident):
    user = officer("community_officer", "Community staff")
    body = client.get(f"/admin/grids/resident/{resident.pk}/change/").content.decode()
    # Masked until the password was confirmed within the step-up window.
    assert resident.id_number not in body
    confirm_password(client)
    body = client.get(f"/admin/grids/resident/{resident.pk}/change/").content.decode()
    assert resident.id_number in body
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=user).count() == 1
    assert "reason" not in LogEntry.objects.get(action=LogEntry.Action.ACCESS).additional_data


def test_admin_area_choices_are_scoped(officer, client, territory):
    officer("community_officer", "Community staff")
    response = client.get("/admin/grids/household/add/")
    choices = {str(c[1]) for c in response.context["adminform"].form.fields["grid"].choices}
    assert "幸福第一网格" in choices and "科技园专属网格" not in choices


def test_every_project_model_is_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    project = {
        "core",
        "accounts",
        "grids",
        "visits",
        "branches",
        "stations",
        "points",
        "tickets",
        "appraisal",
        "dashboards",
    }
    missing = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in project and not admin.site.is_registered(model)
    ]
    assert not missing


def test_covers_and_leave_are_listed_in_the_admin(client, admin_user, own_worker):
    from grids.models import Cover, Leave, Post

    Cover.objects.create(post=Post.objects.get(user=own_worker), covered_by=admin_user)
    Leave.objects.create(user=own_worker, starts_on="2026-12-07", ends_on="2026-12-08")
    client.force_login(admin_user)
    assert client.get("/admin/grids/cover/").status_code == 200
    assert client.get("/admin/grids/leave/").status_code == 200
