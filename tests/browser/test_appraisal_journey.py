"""Scorecards in Chromium on phones, the month after: the street publishes last month's
drafts from its ranking, a worker reads their card (each figure with its definition, the
total), and the community officer records the talk with the lowest-ranked (末位约谈) and
finds it on the card and on the ranking. Screenshots in var/screenshots/appraisal-*.png."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
NOTES = "本月走访完成率偏低，逾期户较多"
ACTIONS = "每周补访逾期户，月底前清零"


def _street_with_five_workers(territory, own_worker, street_officer, community_officer, scheme):
    """Last month's drafts of five workers of G1, the own worker the lowest."""
    from appraisal import services
    from appraisal.models import Scorecard, month_start
    from grids.roles import Role
    from tests.factories import PostFactory, UserFactory

    last_month = month_start(month_start(timezone.localdate()) - timezone.timedelta(days=1))
    others = [
        PostFactory(
            user=UserFactory(username=f"worker{i}", display_name=name),
            area=territory.grid,
            role=Role.GRID_WORKER,
        ).user
        for i, name in enumerate(["李明", "王芳", "赵强", "陈静"])
    ]
    for user, name in ((own_worker, "张伟"), (community_officer, "周主任")):
        user.display_name = name
        user.save()
    services.compute_month(area=territory.street, month=last_month)
    assessment = scheme[-1]
    for worker, score in zip(others, (20, 15, 10, 5), strict=True):
        card = Scorecard.objects.get(worker=worker, month=last_month)
        services.score_manual(
            by=street_officer, card=card, item=assessment, score=Decimal(score), note="主管评价"
        )
    return last_month


def test_the_street_publishes_a_worker_reads_the_officer_records_the_talk(
    territory, own_worker, street_officer, community_officer, scheme, open_as, shoot, live_server
):
    month = _street_with_five_workers(
        territory, own_worker, street_officer, community_officer, scheme
    )
    for user in (own_worker, street_officer, community_officer):
        user.set_password(PASSWORD)
        user.save()
    path = f"{month.year}/{month.month}/"

    street = open_as("street_officer")
    street.goto(f"{live_server.url}/appraisal/area/{territory.street.code}/{path}")
    street.get_by_role("button", name="Publish 5 scorecards").click()
    expect(street.locator(".alert-success[role=status]")).to_contain_text("5 scorecards published")
    expect(street.get_by_text("Published").first).to_be_visible()

    worker = open_as("own_worker")
    worker.goto(f"{live_server.url}/appraisal/me/")
    expect(worker.get_by_text("Households of your grid you visited this month")).to_be_visible()
    expect(worker.locator(".display-6")).to_have_text("55.00")
    assert no_horizontal_scroll(worker)

    officer = open_as("community_officer")
    officer.goto(f"{live_server.url}/appraisal/area/{territory.community.code}/{path}")
    expect(officer.locator(".badge", has_text="For a talk (末位约谈)")).to_have_count(3)
    expect(officer.get_by_role("link", name="Record the talk")).to_have_count(3)
    assert no_horizontal_scroll(officer)
    shoot(officer, "appraisal-ranking-360")
    lowest = officer.locator("li", has_text="张伟")
    lowest.get_by_role("link", name="Record the talk").click()
    expect(officer.locator("h1")).to_contain_text("张伟")
    officer.fill("textarea[name=notes]", NOTES)
    officer.fill("textarea[name=actions]", ACTIONS)
    assert no_horizontal_scroll(officer)
    shoot(officer, "appraisal-talk-form-360")
    officer.get_by_role("button", name="Save the talk").click()
    expect(officer.locator(".alert-success[role=status]")).to_contain_text("The talk is recorded")
    talk = officer.locator("[data-talk]")
    expect(talk).to_contain_text(NOTES)
    expect(talk).to_contain_text(ACTIONS)
    expect(talk).to_contain_text("周主任")
    shoot(officer, "appraisal-card-talk-360")

    officer.goto(f"{live_server.url}/appraisal/area/{territory.community.code}/{path}")
    expect(officer.locator("li", has_text="张伟").locator("[data-talk-recorded]")).to_be_visible()
    expect(officer.get_by_role("link", name="Record the talk")).to_have_count(2)

    worker.reload()
    expect(worker.locator("[data-talk]")).to_contain_text(ACTIONS)
    expect(worker.get_by_text(NOTES)).to_have_count(0)
    assert not street.errors and not worker.errors and not officer.errors
