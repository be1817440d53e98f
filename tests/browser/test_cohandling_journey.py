"""吹哨报到 with three departments in Chromium, each person in their own phone: a resident's
request → the street officer summons the police (lead), housing and market supervision with
a reason → the police and housing press 报到 in time, housing reports its part → market
supervision does not: the sweep (run here with a clock past its limit) escalates it to the
street, whose bell and page say so → the street stops waiting for it, with a reason → the
police resolve → the resident rates it on the tracking page and sees it closed.
Screenshots in var/screenshots/cohandling-*.png."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STREET = "QH-S01"
GRID = f"{STREET}-C01-G01"
DESCRIPTION = "楼下商铺改成群租房，电线乱拉，还在卖来路不明的食品"
REASON = "群租、消防和食品安全问题交织，社区协调不了，街道吹哨三部门联合处置"
HOUSING_PART = "已约谈房东，责令三日内拆除隔断、恢复原有格局"
OVERRIDE_REASON = "市场监管所未报到，食品问题已由公安现场查扣，不再等待"
RESULT = "群租人员已清退，私拉电线已拆除"


def _photo(tmp_path) -> str:
    path = tmp_path / "result.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (60, 110, 160)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _league_figures(department) -> tuple[int, int, int]:
    """The street's league this month for ``department``: summoned, 报到 settled, on time."""
    from dashboards import departments
    from grids.models import Area

    area = Area.objects.get(code=STREET)
    row = next(
        r for r in departments.league(area, departments.month(None)) if r.department == department
    )
    return row.summoned, row.acknowledge_settled, row.acknowledged_on_time


def _row(page, department):
    return page.locator("#departments .summons", has_text=department.name_en)


def test_street_summons_three_departments_one_is_escalated_the_lead_closes_the_resident_rates(
    demo, live_server, browser, open_as, shoot, tmp_path
):
    from grids.models import Area
    from notifications.models import NoticeKind, Notification
    from tickets import services, sweep
    from tickets.models import (
        Channel,
        Department,
        Matter,
        Status,
        Summons,
        SummonsState,
        Ticket,
    )

    police, housing, market = (
        Department.objects.get(code=code) for code in ("police", "housing", "market")
    )
    ticket = services.submit(
        channel=Channel.QR,
        matter=Matter.objects.get(code="stairwell_clutter"),
        description=DESCRIPTION,
        reporter_phone="13812345678",
        reporter_name="张阿姨",
        grid=Area.objects.get(code=GRID),
        address="幸福路12号底商",
    )
    url = f"{live_server.url}/tickets/{ticket.short_code}/"

    # 街道吹哨: the street officer, on a phone, summons a lead and two co-handlers.
    street = open_as("street")
    street.goto(url)
    panel = street.locator("#departments")
    panel.locator("summary", has_text="Summon departments").click()
    form = panel.locator("form.summon-form")
    form.locator("select[name=lead]").select_option(str(police.pk))
    form.locator(f"input[name=co][value='{housing.pk}']").check()
    form.locator(f"input[name=co][value='{market.pk}']").check()
    form.locator("input[name=acknowledge_hours]").fill("2")
    form.locator("input[name=completion_hours]").fill("72")
    form.locator("textarea[name=reason]").fill(REASON)
    assert no_horizontal_scroll(street)
    shoot(street, "cohandling-1-summon-form")
    form.locator("button[type=submit]").click()
    expect(street.locator(".alert-success")).to_contain_text("Departments summoned")
    expect(street.locator("#departments .summons.summons-summoned")).to_have_count(3)
    expect(_row(street, police)).to_contain_text("Lead department")
    expect(street.locator(".timeline")).to_contain_text(REASON)
    expect(street.locator("form.summon-form")).to_have_count(0)  # summoned once
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department) == (Status.ASSIGNED, police)
    summonses = {s.department_id: s for s in Summons.objects.filter(ticket=ticket)}
    assert len(summonses) == 3

    # 部门报到: the police (lead) and housing, each from their own phone, in time.
    officer = open_as("police")
    officer.goto(url)
    # Only their own department's button.
    expect(officer.locator("#departments button", has_text="报到 for")).to_have_count(1)
    _row(officer, police).locator("button", has_text="报到 for").click()
    expect(officer.locator(".alert-success")).to_contain_text(police.name_en)
    expect(_row(officer, police)).to_have_class(re.compile(r"\bsummons-acknowledged\b"))
    expect(_row(officer, police)).to_contain_text("on time")

    clerk = open_as("housing")
    clerk.goto(url)
    _row(clerk, housing).locator("button", has_text="报到 for").click()
    expect(clerk.locator(".alert-success")).to_contain_text(housing.name_en)
    row = _row(clerk, housing)
    expect(row).to_contain_text("on time")
    row.locator("summary", has_text="Report our part").click()
    row.locator("textarea[name=report]").fill(HOUSING_PART)
    shoot(clerk, "cohandling-2-housing-part")
    row.locator("button", has_text="Report the part").click()
    expect(clerk.locator(".alert-success")).to_contain_text("part is reported")
    row = _row(clerk, housing)
    expect(row).to_have_class(re.compile(r"\bsummons-done\b"))
    expect(row).to_contain_text(HOUSING_PART)
    assert no_horizontal_scroll(clerk)

    # Market supervision never comes: the sweep, with its clock past the 2-hour limit,
    # escalates it to the street, once.
    later = timezone.now() + dt.timedelta(hours=2, minutes=5)
    run = sweep.sweep(now=later)
    assert run.escalations >= 1
    sweep.sweep(now=later + dt.timedelta(minutes=10))  # and only once
    late = Summons.objects.get(pk=summonses[market.pk].pk)
    assert late.state == SummonsState.SUMMONED and late.escalated_at is not None
    told = Notification.objects.filter(
        kind=NoticeKind.SUMMONS_LATE, subject_id=ticket.pk, recipient__username="street"
    )
    assert told.count() == 1
    assert (
        not Summons.objects.filter(ticket=ticket, escalated_at__isnull=False)
        .exclude(pk=late.pk)
        .exists()
    )

    # The street's bell counts it, its list names the request, the page marks the row.
    unread = Notification.objects.filter(recipient__username="street", read_at__isnull=True)
    street.goto(f"{live_server.url}/notifications/")
    expect(street.locator("#nav-bell")).to_have_attribute(
        "aria-label", f"Notifications, {unread.count()} unread"
    )
    notice = street.locator("main li", has_text=ticket.short_code).first
    expect(notice).to_be_visible()
    shoot(street, "cohandling-3-street-told")
    street.goto(url)
    row = _row(street, market)
    expect(row).to_have_class(re.compile(r"\bsummons-summoned\b"))
    expect(row).to_contain_text("escalated to the street")
    expect(_row(street, housing)).to_contain_text(HOUSING_PART)
    shoot(street, "cohandling-4-escalated")

    # The lead cannot resolve while a part is missing: the page says whose.
    officer.goto(url)
    resolve = officer.locator("form[action$='/resolve/']")
    resolve.locator("#id_result").fill(RESULT)
    resolve.locator("input[type=file]").set_input_files(_photo(tmp_path))
    resolve.locator("button[type=submit]").click()
    expect(officer.locator(".alert-danger")).to_contain_text("Waiting for the parts of")
    expect(officer.locator(".alert-danger")).to_contain_text(market.name_en)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ASSIGNED

    # The street stops waiting for it, with a reason; the month's league of departments keeps
    # market supervision's miss (tested on the page at the end).
    before_override = _league_figures(market)
    assert before_override[1] > before_override[2]  # settled > on time
    panel = street.locator("#departments")
    panel.locator("summary", has_text="Stop waiting for the missing parts").click()
    panel.locator("textarea[name=reason]").fill(OVERRIDE_REASON)
    panel.locator("button", has_text="Override").click()
    expect(street.locator(".alert-success")).to_contain_text("no longer waited for")
    expect(_row(street, market)).to_have_class(re.compile(r"\bsummons-withdrawn\b"))
    expect(street.locator(".timeline")).to_contain_text(OVERRIDE_REASON)

    # 牵头部门办结: the police resolve on their phone, with a photo.
    officer.goto(url)
    resolve.locator("#id_result").fill(RESULT)
    resolve.locator("input[type=file]").set_input_files(_photo(tmp_path))
    shoot(officer, "cohandling-5-lead-resolves")
    resolve.locator("button[type=submit]").click()
    expect(officer.locator(".alert-success")).to_be_visible()
    expect(officer.locator(f"header .status-{Status.RESOLVED}")).to_be_visible()
    expect(_row(officer, police)).to_have_class(re.compile(r"\bsummons-done\b"))
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    # The resident rates from the tracking link (a phone without an account).
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    try:
        resident = context.new_page()
        resident.errors = []
        resident.on("pageerror", lambda exc: resident.errors.append(str(exc)))
        resident.goto(f"{live_server.url}/t/{ticket.tracking_token}/")
        expect(resident.locator("input[name=rating]")).to_have_count(5)
        body = resident.locator("main").inner_text()
        # Not the officers' names, nor the street's internal reason for stopping the wait.
        for private in ("张伟", "黄敏", "林涛", OVERRIDE_REASON, "13812345678"):
            assert private not in body, private
        assert no_horizontal_scroll(resident)
        shoot(resident, "cohandling-6-resident-review")
        resident.locator("label[for=id_rating_3]").click()
        resident.fill("textarea[name=comment]", "三个部门一起来，处理得很彻底")
        resident.locator("main form button[type=submit]").click()
        expect(resident.locator(".alert-success")).to_be_visible()
        expect(resident.locator("input[name=rating]")).to_have_count(0)
        expect(resident.locator("main")).to_contain_text("4星")  # "your rating is 4 stars"
        shoot(resident, "cohandling-7-resident-closed")
        assert not resident.errors, resident.errors
    finally:
        context.close()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == (Status.CLOSED, 4)
    assert Summons.objects.get(pk=summonses[police.pk].pk).state == SummonsState.DONE

    # The street sees the rating on the request, and the month's league of departments keeps
    # market supervision's missed 报到 although its part was no longer waited for.
    street.goto(url)
    expect(street.locator("dl")).to_contain_text("4 / 5")
    expect(street.locator("dl")).to_contain_text("三个部门一起来")
    street.goto(f"{live_server.url}/dashboard/{STREET}/departments/")
    league = street.locator("table.league tbody tr", has_text=market.name_en)
    expect(league).to_be_visible()
    assert _league_figures(market) == before_override
    summoned, settled, on_time = before_override
    expect(league.locator("td").nth(1)).to_have_text(str(summoned))
    expect(league.locator("td").nth(2)).to_contain_text(f"({on_time}/{settled})")
    shoot(street, "cohandling-8-league")
    assert not street.errors and not officer.errors and not clerk.errors, (
        street.errors,
        officer.errors,
        clerk.errors,
    )
