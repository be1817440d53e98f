"""Every URL × every persona, as an attacker would try them.

Each app lists its views in ``tests/<app>/access_cases.py`` (``CASES`` and
``NOT_SCOPED``); the union is checked against the URL configuration, so a new
view without a row fails ``test_every_url_has_a_row_in_the_matrix``.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import LOGIN, all_cases
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

MATRIX, NOT_SCOPED = all_cases()


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


def _answered(response, want) -> bool:
    if want == LOGIN:
        return response.status_code == 302 and "/accounts/login/" in response["Location"]
    return response.status_code == want


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, request, persona, client):
    """One view, tried by every persona in turn. The target and the personas are built once
    per view (building them per persona was most of the matrix's time); each persona's
    request runs in a savepoint that is rolled back, so what one persona's POST changed is
    gone before the next one tries, as if each had a database of its own."""
    method, fixture, kwargs, expected = MATRIX[name]
    target = request.getfixturevalue(fixture)
    url = reverse(name, kwargs=kwargs(target))
    for persona_name in PERSONAS:
        if persona_name != "anonymous":
            request.getfixturevalue(persona_name)  # created outside the savepoints below
    wrong = []
    for persona_name, want in zip(PERSONAS, expected, strict=True):
        with transaction.atomic():
            persona(persona_name)
            response = getattr(client, method)(url)
            transaction.set_rollback(True)
        if not _answered(response, want):
            got = response.status_code
            if got == 302:
                got = f"302 to {response['Location']}"
            wrong.append(f"{persona_name} {method.upper()} {url}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona_name", ["neighbour_worker", "other_street_officer"])
def test_a_missing_object_and_a_forbidden_one_look_the_same(
    persona_name, persona, client, household
):
    persona(persona_name)
    forbidden = client.get(reverse("household_detail", kwargs={"pk": household.pk}))
    missing = client.get(reverse("household_detail", kwargs={"pk": household.pk + 10_000}))
    assert forbidden.status_code == missing.status_code == 404
