"""Resident requests in Chromium, staff side: the secretary accepts and assigns from the
dispatch board, the member resolves on a phone with a photo."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, no_horizontal_scroll, origin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo(tmp_path):
    path = tmp_path / "result.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 60)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_secretary_assigns_and_a_member_resolves_with_a_photo(
    demo, open_as, shoot, tmp_path, locale, lang
):
    from grids.models import Area
    from tickets import services
    from tickets.models import Channel, Matter

    ticket = services.submit(
        channel=Channel.QR,
        matter=Matter.objects.get(code="stairwell_clutter"),
        description="3幢2单元楼道堆满纸箱",
        reporter_phone="13812345678",
        grid=Area.objects.get(code="QH-S01-C01-G01"),
        address="3幢2单元",
    )
    desk = open_as("community", locale=locale, viewport=DESKTOP)
    desk.goto(origin(desk) + "/tickets/?view=new")
    shoot(desk, f"board-new-{lang}")
    desk.locator(f"a[href$='/tickets/{ticket.short_code}/']").click()
    desk.locator("form[action$='/accept/'] button").click()
    expect(desk.locator(".alert-success")).to_be_visible()
    # The picker names role and load too (tests/browser/test_dispatch_journey.py): by account.
    parttime = get_user_model().objects.get(username="parttime")
    desk.select_option("select[name=assignee]", value=str(parttime.pk))
    desk.locator("form[action$='/assign/'] button[type=submit]").click()
    expect(desk.locator(".alert-success")).to_be_visible()
    shoot(desk, f"ticket-assigned-{lang}")

    phone = open_as("parttime", locale=locale)
    phone.goto(origin(phone) + "/tickets/mine/")
    assert no_horizontal_scroll(phone)
    shoot(phone, f"my-tasks-{lang}")
    phone.locator(f"a[href$='/tickets/{ticket.short_code}/']").first.click()
    phone.locator("form[action$='/start/'] button").click()
    phone.fill("textarea[name=note]", "已清理楼道杂物")
    phone.set_input_files("input[name=photos]", _photo(tmp_path))
    phone.locator("form[action$='/resolve/'] button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_be_visible()
    expect(phone.locator(".timeline img")).to_have_count(1)
    assert no_horizontal_scroll(phone)
    shoot(phone, f"ticket-resolved-{lang}")
    expect(phone.locator("h1")).to_have_text(re.compile(".+"))
    assert not phone.errors and not desk.errors, (phone.errors, desk.errors)
