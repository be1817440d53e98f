"""A district with no superuser starts from one console command; everyone else is appointed on
the people pages."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from grids.models import Post
from grids.roles import Role

pytestmark = pytest.mark.django_db


def _create(*args) -> str:
    out = StringIO()
    call_command("create_officer", *args, stdout=out)
    return out.getvalue()


def test_the_first_district_officer_signs_in_with_the_printed_password_and_must_replace_it(
    territory,
):
    printed = _create("--area", "D", "--name", "王芳", "--phone", "13800138001")
    password = re.search(r"password[^:]*: (\S+)$", printed.strip()).group(1)
    officer = get_user_model().objects.get(phone="13800138001")
    assert officer.username == "13800138001" and not officer.is_superuser
    assert Post.objects.get(user=officer).role == Role.DISTRICT_STAFF
    assert officer.must_change_password

    browser = Client()
    response = browser.post(reverse("login"), {"username": officer.username, "password": password})
    assert response.status_code == 302
    assert browser.get(reverse("area_people", args=["D"])).status_code == 302  # password first


def test_an_unknown_area_or_a_role_that_does_not_fit_the_level_writes_nothing(territory):
    with pytest.raises(CommandError, match="No area"):
        _create("--area", "NOPE", "--name", "王芳")
    with pytest.raises(CommandError):
        _create("--area", "G1", "--role", Role.DISTRICT_STAFF, "--name", "王芳")
    assert not get_user_model().objects.filter(display_name="王芳").exists()


def test_an_empty_database_gets_its_district_and_first_officer_in_one_command(db):
    printed = _create("--area", "320100", "--new-district", "青湖区", "--name", "王芳")
    assert "Temporary password" in printed
    officer = Post.objects.get(role=Role.DISTRICT_STAFF)
    assert officer.area.code == "320100" and officer.area.name == "青湖区"
    with pytest.raises(CommandError, match="district already"):
        _create("--area", "320200", "--new-district", "别的区", "--name", "李明")
