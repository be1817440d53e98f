"""受理并派单 in Chromium: the community officer accepts a new request and gives it to a worker
in one step from the dispatch board's to-accept tab, seeing each candidate's role and load, on
a desk (1366 px) and on a phone (360 px); on the request's page the assign button is in sight."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, origin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _new_request(description: str):
    from grids.models import Area
    from tickets import services
    from tickets.models import Channel, Matter

    return services.submit(
        channel=Channel.QR,
        matter=Matter.objects.get(code="stairwell_clutter"),
        description=description,
        reporter_phone="13812345678",
        grid=Area.objects.get(code="QH-S01-C01-G01"),
        address="3幢2单元",
    )


def _in_sight(page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def test_the_community_officer_accepts_and_assigns_from_the_board(demo, open_as, shoot):
    from accounts.models import User
    from tickets.models import OPEN_STATUSES, Status, Ticket

    worker = User.objects.get(username="parttime")
    with translation.override("zh-hans"):
        assigned = str(Status.ASSIGNED.label)
    for viewport, width in ((DESKTOP, "1366"), (PHONE, "360")):
        ticket = _new_request(f"{width}：3幢2单元楼道堆满纸箱")
        page = open_as("community", locale="zh-CN", viewport=viewport)
        base = origin(page)
        page.goto(f"{base}/tickets/?view=new")
        picker = page.locator(f"#to-{ticket.short_code}")
        picker.scroll_into_view_if_needed()
        expect(picker).to_be_visible()
        assert no_horizontal_scroll(page)
        picker.select_option(str(worker.pk))
        chosen = picker.locator("option:checked").inner_text()
        # Who, in what post (in Chinese), and how many open requests they hold already.
        load = Ticket.objects.filter(assignee=worker, status__in=OPEN_STATUSES).count()
        assert chosen.startswith("党员兼职网格员 刘洋 · 党员兼职网格员 · "), chosen
        assert re.search(rf"(^|\D){load}(\D|$)", chosen.rsplit("·", 1)[1]), chosen
        # The narrow picker cuts its label: the whole of it is written out under it.
        expect(page.locator(f"#picked-{ticket.short_code}")).to_have_text(chosen)
        button = page.locator(f"button[form='accept-{ticket.short_code}']")
        # Beside or under its picker, not at the page's end: with the button in sight, so is
        # the picker (how far the page scrolls depends on the rows above).
        button.scroll_into_view_if_needed()
        assert _in_sight(page, button) and _in_sight(page, picker)
        shoot(page, f"dispatch-board-accept-{width}-zh", full_page=False)
        button.click()
        expect(page.locator(".alert-success")).to_contain_text(ticket.short_code)
        expect(page.locator(f"#to-{ticket.short_code}")).to_have_count(0)  # off the tab
        shoot(page, f"dispatch-board-accepted-{width}-zh", full_page=False)
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, worker)
        page.goto(f"{base}/tickets/{ticket.short_code}/")
        expect(page.locator(f"header .status-{Status.ASSIGNED}")).to_have_text(assigned)
        expect(page.locator(".timeline")).to_contain_text("刘洋")

        # On the request's page, a new one: whom first, and the button without scrolling.
        other = _new_request(f"{width}：路灯不亮")
        page.goto(f"{base}/tickets/{other.short_code}/")
        button = page.locator(".assign-form button[type=submit]")
        assert _in_sight(page, button), button.bounding_box()
        shoot(page, f"dispatch-ticket-assign-{width}-zh", full_page=False)
        page.locator(".assign-form select[name=assignee]").select_option(str(worker.pk))
        button.click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert Ticket.objects.get(pk=other.pk).assignee == worker
        assert not page.errors, page.errors
