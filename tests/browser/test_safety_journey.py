"""A safety patrol on a phone, in Chinese: the grid worker finds the shop due on their list,
walks its checklist (big pass/fail toggles, one item failed with a note and a photo), sees the
hazard it left, then, the owner having fixed it, marks it fixed and records the re-check that
closes it. Screenshots in /tmp/shots/safety_*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead collects the screenshots


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"safety_{name}.png"), full_page=True)


def test_a_grid_worker_patrols_a_shop_and_closes_the_hazard(
    territory, own_worker, place, open_as, live_server, tmp_path
):
    from safety.demo import load_defaults
    from safety.models import ChecklistItem, Hazard
    from tests.factories import jpeg

    load_defaults()
    own_worker.set_password(PASSWORD)
    own_worker.save()
    items = list(ChecklistItem.objects.filter(place_kind=place.kind, active=True))
    photo = tmp_path / "fail.jpg"
    photo.write_bytes(jpeg(size=(320, 240)).read())

    page = open_as("own_worker", locale="zh-CN")
    page.goto(f"{live_server.url}/safety/")
    expect(page.locator("[data-testid=safety-place]")).to_have_count(1)
    assert no_horizontal_scroll(page)
    _shot(page, "places")
    page.locator(f"[data-testid=patrol-{place.pk}]").click()

    for item in items[1:]:
        page.locator(f"label[for=id_item_{item.pk}_0]").click()
    first = items[0]
    page.locator(f"label[for=id_item_{first.pk}_1]").click()
    page.locator(f"[name=note_{first.pk}]").fill("灭火器已过期两个月")
    page.locator(f"[name=photo_{first.pk}]").set_input_files(str(photo))
    page.locator("[name=responsible_name]").fill("王老板")
    page.locator("[name=responsible_phone]").fill("13912345678")
    assert no_horizontal_scroll(page)
    _shot(page, "patrol_form")
    page.locator("[data-testid=submit-patrol]").click()

    expect(page.locator("[data-testid=patrol-summary]")).to_be_visible()
    _shot(page, "patrol_detail")
    page.locator("[data-testid=hazard-link]").click()
    expect(page.get_by_text("139****5678")).to_be_visible()
    assert no_horizontal_scroll(page)
    _shot(page, "hazard_open")

    page.locator("[name=note]").fill("已更换新灭火器")
    page.locator("[data-testid=mark-fixed]").click()
    expect(page.locator("[data-testid=mark-fixed]")).to_have_count(0)
    page.locator("label[for=id_passed_0]").click()
    page.locator("[data-testid=recheck]").click()
    expect(page.locator("[data-testid=recheck]")).to_have_count(0)
    _shot(page, "hazard_closed")
    assert Hazard.objects.get().status == Hazard.Status.CLOSED


def test_a_street_officer_pages_through_the_major_hazards(
    territory, street_officer, open_as, live_server
):
    import datetime as dt

    from django.utils import timezone

    from safety.models import Category, Hazard
    from visits.models import Place, PlaceKind

    street_officer.set_password(PASSWORD)
    street_officer.save()
    shop = Place.objects.create(grid=territory.grid, name="五金店", kind=PlaceKind.SHOP)
    today = timezone.localdate()
    Hazard.objects.bulk_create(
        Hazard(
            place=shop,
            grid=territory.grid,
            category=Category.FIRE,
            description=f"消防通道堆放杂物{i}",
            severity="major",
            fix_by=today + dt.timedelta(days=i),
        )
        for i in range(30)
    )
    page = open_as("street_officer", locale="zh-CN")
    page.goto(f"{live_server.url}/areas/{territory.street.code}/safety/hazards/?show=major")
    expect(page.locator("[data-testid=hazard]")).to_have_count(25)
    page.locator("[data-testid=page-pager] a[rel=next]").click()
    page.wait_for_url("**/safety/hazards/?show=major&page=2")
    expect(page.locator("[data-testid=hazard]")).to_have_count(5)
    assert no_horizontal_scroll(page)
    _shot(page, "hazards_page_2")
    page.locator("[data-testid=page-pager] a[rel=prev]").click()
    page.wait_for_url("**/safety/hazards/?show=major&page=1")
    expect(page.locator("[data-testid=hazard]")).to_have_count(25)
