"""Pages and files with households' personal data are never kept by a cache."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    parts = {p.strip() for p in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= parts


def test_household_pages_and_the_export_are_private_no_store(client, district_officer, household):
    client.force_login(district_officer)
    grid = household.grid.code
    for url in (
        reverse("household_list", kwargs={"code": grid}),
        reverse("household_detail", kwargs={"pk": household.pk}),
        reverse("household_export", kwargs={"code": grid}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url
