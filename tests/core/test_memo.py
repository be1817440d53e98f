"""``{% memo %}`` (core/templatetags/memo.py): a fragment rendered once per process for each
set of the values it names."""

import re

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.templatetags import memo
from notifications.models import NoticeKind, Notification


class Counted:
    """A value whose rendering is counted."""

    def __init__(self):
        self.renders = 0

    def __str__(self):
        self.renders += 1
        return f"rendered {self.renders}"


@pytest.fixture(autouse=True)
def _empty_memo():
    memo.forget()
    yield
    memo.forget()


def _render(text: str, **values) -> str:
    return Template("{% load memo %}" + text).render(Context(values))


def test_a_fragment_is_rendered_once_for_each_set_of_its_values(settings):
    settings.MEMO_VERIFY = False
    counted = Counted()
    text = '{% memo "t" who %}{{ who }}: {{ counted }}{% endmemo %}'
    assert _render(text, who="a", counted=counted) == "a: rendered 1"
    assert _render(text, who="a", counted=counted) == "a: rendered 1"
    assert _render(text, who="b", counted=counted) == "b: rendered 2"
    assert counted.renders == 2


def test_the_language_is_part_of_every_key(settings):
    text = '{% load i18n %}{% memo "t" %}{% translate "Sign out" %}{% endmemo %}'
    with translation.override("en"):
        assert _render(text) == "Sign out"
    with translation.override("zh-hans"):
        assert _render(text) == "退出登录"


def test_a_value_used_but_not_named_fails_under_verification(settings):
    settings.MEMO_VERIFY = True
    text = '{% memo "t" who %}{{ who }} {{ other }}{% endmemo %}'
    _render(text, who="a", other="x")
    with pytest.raises(memo.MemoDiffers, match="'t'"):
        _render(text, who="a", other="y")


def test_each_response_gets_its_own_csrf_token(settings):
    settings.MEMO_VERIFY = False
    text = '{% memo "form" %}<form>{% csrf_token %}</form>{% endmemo %}'
    first = _render(text, csrf_token="tokenOfTheFirst")
    second = _render(text, csrf_token="tokenOfTheSecond")
    assert 'value="tokenOfTheFirst"' in first
    assert 'value="tokenOfTheSecond"' in second
    assert memo.CSRF_PLACEHOLDER not in first + second


def test_without_a_request_the_csrf_field_is_left_out_as_django_does(settings):
    text = '{% memo "form" %}<form>{% csrf_token %}</form>{% endmemo %}'
    _render(text, csrf_token="tokenOfTheFirst")
    assert _render(text) == "<form></form>"


def test_with_debug_templates_are_rendered_every_time(settings):
    settings.DEBUG = True
    counted = Counted()
    text = '{% memo "t" %}{{ counted }}{% endmemo %}'
    assert _render(text, counted=counted) == "rendered 1"
    assert _render(text, counted=counted) == "rendered 2"


def test_a_memo_cannot_hold_a_block():
    # A copy would show the first page's override of the block on every page.
    with pytest.raises(TemplateSyntaxError, match="block"):
        Template('{% load memo %}{% memo "t" %}{% block b %}parent{% endblock %}{% endmemo %}')


def test_the_navbar_shows_a_new_notification_at_once(client, own_worker, ticket):
    client.force_login(own_worker)
    page = client.get(reverse("my_tasks")).content.decode()
    assert 'aria-label="Notifications"' in page
    Notification.objects.create(
        key="memo-test",
        recipient=own_worker,
        subject=ticket,
        kind=NoticeKind.REMINDER,
        level=50,
        params={"code": ticket.short_code},
    )
    page = client.get(reverse("my_tasks")).content.decode()
    assert 'aria-label="Notifications, 1 unread"' in page


def test_the_navbar_marks_the_page_it_is_on(client, own_worker):
    client.force_login(own_worker)
    tasks = client.get(reverse("my_tasks")).content.decode()
    points = client.get(reverse("my_points")).content.decode()
    assert f'href="{reverse("my_tasks")}" aria-current="page"' in tasks
    assert f'href="{reverse("my_points")}" aria-current="page"' in points
    assert f'href="{reverse("my_tasks")}" aria-current="page"' not in points


def test_the_sign_out_form_carries_the_viewers_own_token(own_worker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(own_worker)
    client.get(reverse("my_tasks"))  # the menu is copied from here on
    page = client.get(reverse("my_tasks")).content.decode()
    assert memo.CSRF_PLACEHOLDER not in page
    form = page.split(f'action="{reverse("logout")}"')[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
