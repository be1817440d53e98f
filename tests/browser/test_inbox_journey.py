"""The bell in Chromium on a 360 px phone: a grid worker reads and clears notifications;
district staff look at the operations page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"  # what open_as types into the login form


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def _notify(user, ticket, kind, **extra):
    from notifications.models import Notification

    return Notification.objects.create(
        key=f"browser:{kind}:{user.pk}",
        recipient=user,
        subject=ticket,
        kind=kind,
        params={
            "code": ticket.short_code,
            "stage": "response",
            "due": ticket.response_due.isoformat(),
        },
        **extra,
    )


def test_a_grid_worker_reads_and_clears_notifications_on_a_phone(
    own_worker, ticket, open_as, shoot
):
    from notifications.models import NoticeKind

    own_worker.email, own_worker.phone = "wang.fang@example.org", "13900001111"
    _with_password(own_worker)
    _notify(own_worker, ticket, NoticeKind.REMINDER, level=80)
    _notify(own_worker, ticket, NoticeKind.OVERDUE)
    _notify(own_worker, ticket, NoticeKind.ESCALATED, urgent=True, level=1)

    page = open_as("own_worker")
    bell = page.locator("#nav-bell")
    expect(bell).to_be_visible()  # outside the collapsed menu: no need to open it
    expect(bell.locator(".badge")).to_have_text("3")
    expect(bell).to_have_attribute("aria-label", "Notifications, 3 unread")
    shoot(page, "inbox-bell-en", full_page=False)

    bell.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    expect(page.locator("#main .list-group-item-warning")).to_have_count(3)
    assert no_horizontal_scroll(page)
    shoot(page, "inbox-list-en")

    # htmx: the item turns read in place and the bell's count drops without a reload.
    page.locator("#main .list-group-item").first.get_by_role("button", name="Mark read").click()
    expect(page.locator("#main .list-group-item-warning")).to_have_count(2)
    expect(page.locator("#nav-bell .badge")).to_have_text("2")

    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".alert-success")).to_contain_text("2 notifications marked read.")
    expect(page.locator("#nav-bell .badge")).to_have_count(0)
    expect(page.locator("#main .list-group-item-warning")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shoot(page, "inbox-all-read-en")

    page.get_by_role("link", name="Email and text messages").click()
    expect(page.locator("h1")).to_have_text("Notification settings")
    expect(page.locator("input[name=assigned__email]")).to_be_checked()  # has an address
    page.get_by_label("Text message: Given to you").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("settings are saved")
    expect(page.locator("input[name=assigned__sms]")).to_be_checked()
    assert no_horizontal_scroll(page)
    shoot(page, "inbox-preferences-en")

    page.goto(page.url.replace("/notifications/preferences/", "/notifications/"))
    page.locator("#main .list-group-item a").first.click()
    expect(page).to_have_url(f"{page.url.split('/tickets/')[0]}/tickets/{ticket.short_code}/")
    assert not page.errors, page.errors


def test_district_staff_see_a_failed_message_and_retry_it_on_a_phone(
    district_officer, failed_delivery, open_as, shoot
):
    from notifications.models import Delivery
    from tickets.models import SweepRun

    _with_password(district_officer)
    SweepRun.objects.create(duration_ms=840, claimed=12, notifications=4, escalations=1)
    # The retry sends at once outside quiet hours: to an address, so that it can succeed.
    recipient = failed_delivery.notification.recipient
    recipient.email = "worker@example.gov.cn"
    recipient.save(update_fields=["email"])

    page = open_as("district_officer")
    page.locator(".navbar-toggler").click()
    page.get_by_role("link", name="Operations").click()
    expect(page.locator("h1")).to_have_text("Operations")
    expect(page.locator("#main")).to_contain_text("SMTPServerDisconnected")
    assert no_horizontal_scroll(page)
    shoot(page, "operations-phone-en")

    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".alert-success")).to_contain_text("will be sent again")
    failed_delivery.refresh_from_db()
    assert failed_delivery.state != Delivery.State.FAILED
    assert not page.errors, page.errors


def test_a_chinese_phone_gets_the_bell_and_the_messages_in_chinese(
    own_worker, district_officer, ticket, failed_delivery, open_as, shoot
):
    from notifications.models import NoticeKind
    from tickets.models import SweepRun

    _with_password(own_worker)
    _with_password(district_officer)
    _notify(own_worker, ticket, NoticeKind.REMINDER, level=80)
    _notify(own_worker, ticket, NoticeKind.ESCALATED, urgent=True, level=1)
    page = open_as("own_worker", locale="zh-CN")
    expect(page.locator("#nav-bell")).to_have_attribute("aria-label", "通知，3条未读")
    page.locator("#nav-bell").click()
    expect(page.locator("h1")).to_have_text("通知")
    expect(page.locator("#main")).to_contain_text(f"诉求{ticket.short_code}：时限已用80%")
    expect(page.locator("#main")).to_contain_text(f"诉求{ticket.short_code}向您吹哨")
    assert no_horizontal_scroll(page)
    shoot(page, "inbox-list-zh")

    SweepRun.objects.create(duration_ms=840, claimed=12, notifications=4, escalations=1)
    page = open_as("district_officer", locale="zh-CN")
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/operations/")
    expect(page.locator("h1")).to_have_text("运行监控")
    expect(page.locator("#main")).to_contain_text("发送失败的消息")
    assert no_horizontal_scroll(page)
    shoot(page, "operations-phone-zh")
    assert not page.errors, page.errors
