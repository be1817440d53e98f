"""The closed loop in Chromium, the resident's side: a resident on a 360 px phone files from
the QR link and gets a code → the secretary accepts and assigns → a member resolves with a
photo → the resident rates five stars on the tracking page → closed. Then a micro-wish goes
on the wall and a member takes it. English and Chinese; screenshots in var/screenshots/."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRID = "QH-S01-C01-G01"
COMMUNITY = "QH-S01-C01"


def _photo(tmp_path, name="photo.jpg", colour=(40, 120, 60)):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def resident(browser):
    """A phone without an account."""
    contexts = []

    def open_phone(locale: str):
        context = browser.new_context(viewport=PHONE, locale=locale, device_scale_factor=1)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
        return page

    yield open_phone
    for context in contexts:
        context.close()


def _small_targets(page, selector: str) -> list[str]:
    """Visible controls lower than 44 px (the touch-target minimum)."""
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
            .map((e) => e.outerHTML.slice(0, 80))""",
        selector,
    )


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_resident_files_from_the_qr_link_and_rates_the_result(
    demo, live_server, resident, open_as, shoot, tmp_path, locale, lang
):
    from tickets.models import Matter, Status, Ticket

    page = resident(locale)
    page.goto(f"{live_server.url}/r/{GRID}/")
    expect(page.locator("h1")).to_contain_text("网格")
    assert no_horizontal_scroll(page)
    assert not _small_targets(
        page,
        "main form :is(select, textarea, button, input:not([type=hidden]):not(.hp-field))",
    )
    shoot(page, f"resident-form-{lang}")

    matter = Matter.objects.get(code="stairwell_clutter")
    page.select_option("select[name=matter]", value=str(matter.pk))
    page.fill("textarea[name=description]", "3幢2单元楼道堆满纸箱，挡住了楼梯")
    page.fill("input[name=address]", "3幢2单元")
    page.set_input_files("input[name=photos]", _photo(tmp_path, "report.jpg", (150, 90, 40)))
    page.fill("input[name=reporter_name]", "张阿姨")
    page.fill("input[name=reporter_phone]", "138 1234 5678")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/t/[\w-]{32,}/\?sent=1$"))
    code = page.locator(".short-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code), code
    expect(page.locator("#tracking-link")).to_have_value(re.compile(r"/t/[\w-]{32,}/$"))
    expect(page.locator(".timeline li")).to_have_count(1)
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-sent-{lang}")
    tracking = page.url.split("?")[0]
    ticket = Ticket.objects.get(short_code=code)
    assert ticket.reporter_phone == "13812345678" and ticket.photos.count() == 1

    # 社区派单: the secretary accepts and assigns on the ticket page.
    desk = open_as("community", locale=locale, viewport=DESKTOP)
    desk.goto(f"{live_server.url}/tickets/?view=new")
    desk.locator(f"a[href$='/tickets/{code}/']").first.click()
    desk.locator("form[action$='/accept/'] button").click()
    expect(desk.locator(".alert-success")).to_be_visible()
    # The picker names role and load too (tests/browser/test_dispatch_journey.py): by account.
    parttime = get_user_model().objects.get(username="parttime")
    desk.select_option("select[name=assignee]", value=str(parttime.pk))
    desk.locator("form[action$='/assign/'] button[type=submit]").click()
    expect(desk.locator(".alert-success")).to_be_visible()

    page.goto(tracking)
    expect(page.locator("#status")).to_contain_text(re.compile(r"Someone is taking care|.+"))
    shoot(page, f"resident-assigned-{lang}")

    # 党员接单: the member resolves on a phone with a photo.
    member = open_as("parttime", locale=locale)
    member.goto(f"{live_server.url}/tickets/mine/")
    member.locator(f"a[href$='/tickets/{code}/']").first.click()
    member.locator("form[action$='/start/'] button").click()
    member.fill("textarea[name=note]", "已清理楼道纸箱")
    member.set_input_files("input[name=photos]", _photo(tmp_path, "result.jpg"))
    member.locator("form[action$='/resolve/'] button[type=submit]").click()
    expect(member.locator(".alert-success")).to_be_visible()

    # The resident reviews from the link: five stars, then closed.
    page.goto(tracking)
    expect(page.locator("input[name=rating]")).to_have_count(5)
    expect(page.locator("img.ticket-thumb")).to_have_count(2)  # the report and the result
    body = page.locator("main").inner_text()
    for name in ("刘洋", "陈静", "已清理楼道纸箱", "13812345678", "张阿姨"):
        assert name not in body, name
    assert no_horizontal_scroll(page)
    assert not _small_targets(page, "main form label.btn, main form button, main form textarea")
    shoot(page, f"resident-review-{lang}")
    page.locator("label[for=id_rating_4]").click()
    page.fill("textarea[name=comment]", "很及时，谢谢！")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("input[name=rating]")).to_have_count(0)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == (Status.CLOSED, 5)
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-closed-{lang}")

    # The code and the mobile number find the page again.
    page.goto(f"{live_server.url}/t/")
    page.fill("input[name=code]", code.lower())
    page.fill("input[name=phone]", "13812345678")
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-lookup-{lang}")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(tracking)
    assert not page.errors and not desk.errors and not member.errors, (
        page.errors,
        desk.errors,
        member.errors,
    )


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_wish_goes_on_the_wall_and_a_member_takes_it(
    demo, live_server, resident, open_as, shoot, settings, locale, lang
):
    from django.core.cache import cache

    from accounts.models import User
    from tickets import services
    from tickets.models import Status, Ticket

    cache.clear()
    settings.PUBLIC_FORM_RATE_PHONE = "1/d"
    page = resident(locale)
    page.goto(f"{live_server.url}/wishes/{COMMUNITY}/new/")
    assert no_horizontal_scroll(page)
    shoot(page, f"wish-form-{lang}")
    page.fill("textarea[name=description]", "希望有人周六上午陪我家孩子读绘本")
    page.fill("input[name=reporter_phone]", "13912345678")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/t/[\w-]{32,}/\?sent=1$"))
    shoot(page, f"wish-sent-{lang}")
    # A second wish from the same mobile number today: the polite 429 page.
    page.goto(f"{live_server.url}/wishes/{COMMUNITY}/new/")
    page.fill("textarea[name=description]", "再许一个心愿")
    page.fill("input[name=reporter_phone]", "13912345678")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()
    assert not Ticket.objects.filter(description="再许一个心愿").exists()
    assert no_horizontal_scroll(page)
    shoot(page, f"resident-429-{lang}")
    page.errors.remove(
        "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
    )
    wish = Ticket.objects.get(description="希望有人周六上午陪我家孩子读绘本")
    services.accept(by=User.objects.get(username="community"), ticket=wish)

    # The secretary sees who may be recorded as taking it (共建单位) and the request's page.
    secretary = open_as("community", locale=locale)
    secretary.goto(f"{live_server.url}/wishes/{COMMUNITY}/")
    card = secretary.locator("li.wish", has_text="陪我家孩子读绘本")
    expect(card.locator("form[action$='/unit/'] select option").first).to_be_attached()
    assert no_horizontal_scroll(secretary)
    shoot(secretary, f"wish-wall-secretary-{lang}")

    member = open_as("parttime", locale=locale)
    member.goto(f"{live_server.url}/wishes/{COMMUNITY}/")
    card = member.locator("li.wish", has_text="陪我家孩子读绘本")
    expect(card).to_be_visible()
    assert no_horizontal_scroll(member)
    shoot(member, f"wish-wall-member-{lang}")
    card.locator("form[action$='/claim/'] button").click()
    expect(member).to_have_url(re.compile(rf"/tickets/{wish.short_code}/$"))
    expect(member.locator(".alert-success")).to_be_visible()
    wish.refresh_from_db()
    assert wish.status == Status.ASSIGNED and wish.assignee.username == "parttime"

    page.goto(f"{live_server.url}/wishes/{COMMUNITY}/")
    expect(page.locator("li.wish", has_text="陪我家孩子读绘本")).to_be_visible()
    assert "13912345678" not in page.locator("main").inner_text()
    assert no_horizontal_scroll(page)
    shoot(page, f"wish-wall-{lang}")
    assert not page.errors and not member.errors and not secretary.errors, (
        page.errors,
        member.errors,
        secretary.errors,
    )
