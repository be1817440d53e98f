"""Every URL × every persona, as an attacker would try them.

The matrix is checked against the URL configuration: a new view without a
row here fails ``test_every_url_has_a_row_in_the_matrix``.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

# Pages that are not about one scoped object.
NOT_SCOPED = {
    "healthz",  # public, no personal data (tests/core/test_health.py)
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "profile",
    "set_language",
    "home",  # redirects to the user's own area (tests/grids/test_pages.py)
}

OK, FOUND, DENIED, MISSING, LOGIN = 200, 302, 403, 404, "login"
# persona order: own_worker, neighbour_worker, street_officer, other_street_officer,
#                district_officer, anonymous
VIEW = (OK, MISSING, OK, MISSING, OK, LOGIN)
EDIT = (OK, MISSING, DENIED, MISSING, DENIED, LOGIN)
EXPORT = (DENIED, MISSING, OK, MISSING, OK, LOGIN)
MANAGE = (DENIED, MISSING, OK, MISSING, OK, LOGIN)
END_POST = (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN)

# name: (method, target fixture, kwargs from the target, expected per persona)
MATRIX = {
    "area_detail": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "household_list": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "household_create": ("get", "territory", lambda t: {"code": t.grid.code}, EDIT),
    "household_export": ("get", "territory", lambda t: {"code": t.grid.code}, EXPORT),
    "area_staffing": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "area_coverage": ("get", "territory", lambda t: {"code": t.grid.code}, VIEW),
    "post_create": ("get", "territory", lambda t: {"code": t.grid.code}, MANAGE),
    "post_end": ("post", "post_in_grid", lambda p: {"pk": p.pk}, END_POST),
    "household_detail": ("get", "household", lambda h: {"pk": h.pk}, VIEW),
    "household_edit": ("get", "household", lambda h: {"pk": h.pk}, EDIT),
    "resident_create": ("get", "household", lambda h: {"pk": h.pk}, EDIT),
    "resident_edit": ("get", "resident", lambda r: {"pk": r.pk}, EDIT),
    "resident_reveal": ("post", "resident", lambda r: {"pk": r.pk, "field": "phone"}, EDIT),
}


def _names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin is scoped through ScopedAdmin (tests/grids/test_admin.py)
            yield from _names(pattern.url_patterns, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_a_row_in_the_matrix():
    names = set(_names(get_resolver().url_patterns))
    unlisted = names - set(MATRIX) - NOT_SCOPED
    assert not unlisted, f"add these views to the access matrix: {sorted(unlisted)}"
    assert not (set(MATRIX) - names), "the matrix lists views that no longer exist"


@pytest.mark.parametrize("persona_name", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, persona_name, request, persona, client):
    method, fixture, kwargs, expected = MATRIX[name]
    target = request.getfixturevalue(fixture)
    url = reverse(name, kwargs=kwargs(target))
    persona(persona_name)
    response = getattr(client, method)(url)
    want = expected[PERSONAS.index(persona_name)]
    if want == LOGIN:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == want, f"{persona_name} {method.upper()} {url}"


@pytest.mark.parametrize("persona_name", ["neighbour_worker", "other_street_officer"])
def test_a_missing_object_and_a_forbidden_one_look_the_same(
    persona_name, persona, client, household
):
    persona(persona_name)
    forbidden = client.get(reverse("household_detail", kwargs={"pk": household.pk}))
    missing = client.get(reverse("household_detail", kwargs={"pk": household.pk + 10_000}))
    assert forbidden.status_code == missing.status_code == 404
