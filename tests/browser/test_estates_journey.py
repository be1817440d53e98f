"""红色物业 in Chromium on a phone, in Chinese: the community officer finds the company from
the community's page and rates it on the 19 items; the street publishes last half-year's red
and black list; a resident reads it without signing in. Screenshots in /tmp/shots/estates_*.png."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks at them


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"estates_{name}.png"), full_page=True)


def _last_half_year(territory, company, community_officer, standard):
    """A second company, rated (weakly) for the last half-year with the first one."""
    from estates import services
    from estates.models import Company, Estate, PartyOrg, period_of, previous_period
    from tests.estates.fixtures import full_scores

    weak = services.set_up_company(
        company=Company(name="万家兴物业服务有限公司", credit_code="91320412MA1QH00054")
    )
    Estate.objects.create(name="梧桐小区", community=territory.community, company=weak)
    assert company.party_org == PartyOrg.INDEPENDENT
    period = previous_period(period_of(timezone.localdate()))
    for c, low in ((company, False), (weak, True)):
        scores = full_scores(standard)
        if low:
            scores = {pk: 0 if i < 12 else v for i, (pk, v) in enumerate(scores.items())}
        services.record_rating(
            by=community_officer,
            company=c,
            community=territory.community,
            period=period,
            scores=scores,
            submit=True,
        )
    return period


def test_the_community_rates_the_street_publishes_residents_read(
    territory, company, standard, community_officer, street_officer, open_as, live_server
):
    last = _last_half_year(territory, company, community_officer, standard)
    for user in (community_officer, street_officer):
        user.set_password(PASSWORD)
        user.save()

    officer = open_as("community_officer", locale="zh-CN")
    officer.goto(f"{live_server.url}/estates/area/{territory.community.code}/")
    expect(officer.locator("[data-estate]")).to_have_count(2)
    assert no_horizontal_scroll(officer)
    _shoot(officer, "area_360")
    officer.locator(f"[data-company='{company.pk}'] a.stretched-link").click()
    officer.locator(f"[data-testid=rate-{territory.community.code}]").click()
    fields = officer.locator("form input[name^=item_]")
    expect(fields).to_have_count(19)
    for i in range(19):
        fields.nth(i).fill("4" if i else "3")
    officer.fill("form [name=note]", "保洁和电梯维保需加强")
    assert no_horizontal_scroll(officer)
    _shoot(officer, "rate_form_360")
    officer.locator("button[name=action][value=submit]").click()
    officer.wait_for_url(f"**/estates/company/{company.pk}/")
    expect(officer.locator("[data-rating]")).to_have_count(2)
    _shoot(officer, "company_360")

    street = open_as("street_officer", locale="zh-CN")
    street.goto(f"{live_server.url}/estates/area/{territory.street.code}/lists/")
    street.locator(f"[data-testid=publish-{last}]").click()
    section = street.locator(f"[data-published='{last}']")
    expect(section.locator("[data-board=red] li")).to_contain_text("青湖物业服务有限公司")
    expect(section.locator("[data-board=black] li")).to_contain_text("万家兴物业服务有限公司")
    expect(street.locator(f"[data-testid=publish-{last}]")).to_have_count(0)
    assert no_horizontal_scroll(street)
    _shoot(street, "lists_360")

    # A resident has no account: a fresh context, not signed in.
    resident = street.context.browser.new_context(locale="zh-CN", viewport=PHONE)
    page = resident.new_page()
    page.goto(f"{live_server.url}/estates/public/{territory.street.code}/")
    expect(page.locator(f"[data-published='{last}']")).to_be_visible()
    expect(page.locator("[data-board=red]")).to_contain_text("青湖物业服务有限公司")
    assert no_horizontal_scroll(page)
    _shoot(page, "public_360")
    resident.close()
    assert not officer.errors and not street.errors
