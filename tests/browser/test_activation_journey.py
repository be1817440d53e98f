"""A member who registered through /join/ works in the product on their own (issue 20): the
community confirms them, they activate the account with the code from the SMS log, choose a
password, land on their points, declare two hours of service, and the branch secretary
collects it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from branches.models import Branch, PartyMember
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Qinghu-river-2026"


def _photo(tmp_path):
    path = tmp_path / "service.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 30)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_joined_member_activates_declares_and_the_secretary_collects(
    demo, browser, live_server, open_as, shoot, sms_log, tmp_path, locale, lang
):
    name, mobile = f"孙自助{lang}", f"1398888{'0011' if lang == 'en' else '0012'}"
    what = f"社区助老服务（{lang}）"
    context = browser.new_context(viewport=PHONE, locale=locale)
    phone = context.new_page()
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    phone.goto(f"{live_server.url}/join/QH-S01-C01/")
    phone.fill("input[name=name]", name)
    phone.fill("input[name=phone]", mobile)
    phone.fill("input[name=work_unit]", "区税务局")
    phone.locator("input[name=posts][value=legal_aid]").check()
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_be_visible()

    # The community confirms: an account is made and the code goes out by SMS.
    officer = open_as("community", locale=locale, viewport=DESKTOP)
    officer.goto(f"{live_server.url}/areas/QH-S01-C01/registrations/")
    officer.locator("li", has_text=name).locator("button[name=confirm][value='1']").click()
    expect(officer.locator(".alert-info")).to_contain_text("139****")
    shoot(officer, f"activation-confirmed-{lang}")
    # In-service members serve with a branch of the community: the officer puts them in the
    # grid leader's, whose secretary collects their declarations.
    branch = Branch.objects.get(secretary__user__username="leader")
    member = PartyMember.objects.get(name=name)
    officer.goto(f"{live_server.url}/members/{member.pk}/edit/")
    officer.select_option("select[name=branch]", str(branch.pk))
    officer.locator("main form button[type=submit]").click()
    expect(officer.locator(".alert-success")).to_be_visible()

    # The member activates with the code from the text message.
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.locator("a[href$='/accounts/activate/']").click()
    phone.fill("input[name=phone]", mobile)
    phone.fill("input[name=code]", sms_log.code())
    phone.fill("input[name=password]", PASSWORD)
    phone.fill("input[name=password2]", PASSWORD)
    assert no_horizontal_scroll(phone)
    shoot(phone, f"activation-code-{lang}")
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/points/$"))
    shoot(phone, f"activation-points-hub-{lang}")

    # ...and declares two hours of service themselves.
    phone.locator("a[href$='/points/declare/']").click()
    option = phone.locator("select[name=rule] option", has_text=re.compile("志愿服务|Volunteer"))
    phone.select_option("select[name=rule]", option.first.get_attribute("value"))
    phone.fill("input[name=hours]", "2")
    phone.fill("textarea[name=description]", what)
    phone.set_input_files("input[name=photos]", str(_photo(tmp_path)))
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_be_visible()

    # Next time they sign in with their mobile number.
    context.clear_cookies()
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.fill("input[name=username]", mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/points/$"))

    secretary = open_as("leader", locale=locale)
    secretary.goto(f"{live_server.url}/points/branches/{branch.code}/collect/")
    item = secretary.locator("main form li", has_text=what)
    expect(item).to_be_visible()
    expect(item).to_contain_text(name)
    secretary.locator("main form button[type=submit]").first.click()
    expect(secretary.locator(".alert-success")).to_be_visible()
    expect(secretary.locator(".card", has_text=what)).to_be_visible()
    shoot(secretary, f"activation-collected-{lang}")
    assert not errors and not officer.errors and not secretary.errors
    context.close()
