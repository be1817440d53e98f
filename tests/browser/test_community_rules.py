"""The community's 'Who accepts new requests' page, from its area page, at 360 and 1366 px:
a community officer turns on 'grid workers may accept' and the page says it is saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, open_sections
from tickets.models import CommunityRules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "360"), (DESKTOP, "1366")])
def test_community_officer_lets_grid_workers_accept_from_the_area_page(
    community_officer, territory, open_as, shoot, live_server, viewport, size
):
    community_officer.set_password("demo-grid-2026")
    community_officer.save()
    page = open_as("community_officer", locale="zh-CN", viewport=viewport)
    page.goto(f"{live_server.url}/areas/{territory.community.code}/")
    open_sections(page)
    page.locator(f"a[href$='/tickets/areas/{territory.community.code}/rules/']").first.click()
    page.wait_for_load_state("networkidle")
    checkbox = page.locator("input[name=grid_workers_accept]")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    shoot(page, f"community_rules_{size}")
    page.locator("main form button.btn-party").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("input[name=grid_workers_accept]")).to_be_checked()
    assert re.search(r"/rules/$", page.url)
    assert no_horizontal_scroll(page)
    shoot(page, f"community_rules_saved_{size}")
    assert CommunityRules.objects.get(community=territory.community).grid_workers_accept
