import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"


def test_a_worker_signs_in_and_lands_on_their_visits(client, own_worker):
    response = client.post(reverse("login"), {"username": "own_worker", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/visits/"
    assert client.get("/areas/").headers["Location"] == "/areas/G1/"  # "My area"


def test_repeated_failures_lock_the_account_out_politely(client, settings):
    UserFactory(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "target", "password": "wrong"})
        assert response.status_code == 200
    last = client.post(reverse("login"), {"username": "target", "password": "wrong"})
    assert last.status_code == 429
    # Even the right password is refused until the cool-off ends.
    locked = client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert b"15 minutes" in locked.content


def test_a_browser_asking_for_zh_cn_gets_chinese(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_the_default_language_is_chinese(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.get(reverse("login"))
    assert "登录" in response.content.decode()


def test_a_saved_language_wins_over_the_browser(client, own_worker):
    client.force_login(own_worker)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    own_worker.refresh_from_db()
    assert own_worker.language == "zh-hans"
    response = client.get("/areas/G1/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.headers["Content-Language"] == "zh-hans"


def test_the_profile_normalises_the_mobile_number(client, own_worker):
    client.force_login(own_worker)
    response = client.post(
        reverse("profile"), {"display_name": "王芳", "phone": "+86 139-0000-1111", "language": "en"}
    )
    assert response.status_code == 302
    own_worker.refresh_from_db()
    assert own_worker.phone == "13900001111"
    bad = client.post(
        reverse("profile"), {"display_name": "王芳", "phone": "12345", "language": ""}
    )
    assert bad.status_code == 200 and "phone" in bad.context["form"].errors
