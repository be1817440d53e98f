"""议事协商 in Chromium on phones, in Chinese: a resident raises a topic on the community's
public page; the community officer accepts it, records the meeting and its show of hands,
and publishes the decision (公示); a resident objects during the notice; once the period is
over the decision becomes a 实事 project, completed; a resident rates it on the 亮晒评 page in
large-text mode (适老化). Screenshots in /tmp/shots/deliberation_*.png."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks for them
TITLE = "小区停车位划线"


@pytest.fixture(autouse=True)
def _roomy_rate_limit(settings):
    """The address's counts outlive a test in Redis: a run must not inherit the last one's."""
    settings.PUBLIC_FORM_RATE_IP = "1000/h"


def _jpeg(name: str, colour: tuple) -> dict:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def _shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"deliberation_{name}.png"), full_page=True)


def test_a_topic_becomes_a_project_residents_rate(
    territory, community_officer, open_as, browser, live_server
):
    from deliberation.models import Decision, Topic

    community_officer.set_password("demo-grid-2026")
    community_officer.save()
    code = territory.community.code

    resident = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    errors = []
    resident.on("pageerror", lambda exc: errors.append(str(exc)))
    resident.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    resident.goto(f"{live_server.url}/yishi/{code}/")
    resident.fill("form [name=title]", TITLE)
    resident.fill("form [name=description]", "车辆乱停，消防通道被占，希望统一划线。")
    resident.fill("form [name=phone]", "13912345678")
    assert no_horizontal_scroll(resident)
    _shoot(resident, "public_raise")
    resident.locator("button[name=send]").click()
    expect(resident.locator(".alert-success[role=status]")).to_be_visible()
    topic = Topic.objects.get(title=TITLE)

    officer = open_as("community_officer", locale="zh-CN")
    officer.goto(f"{live_server.url}/deliberation/area/{code}/")
    officer.locator("[data-testid=topic]").first.click()
    officer.locator("button[name=accept]").click()
    expect(officer.locator("[data-status=accepted]")).to_be_visible()
    form = officer.locator("[data-testid=meeting-form]")
    form.locator("[name=place]").fill("红色议事厅")
    for name, n in (("residents", 18), ("party_members", 5), ("property_company", 1)):
        form.locator(f"[name={name}]").fill(str(n))
    form.locator("[name=option_0]").fill("统一划线并编号")
    form.locator("[name=option_0_for]").fill("20")
    form.locator("[name=option_0_against]").fill("3")
    form.locator("[name=option_0_abstain]").fill("1")
    form.locator("[name=option_1]").fill("维持现状")
    form.locator("[name=option_1_for]").fill("3")
    form.locator("[name=option_1_against]").fill("20")
    assert no_horizontal_scroll(officer)
    form.locator("button[type=submit]").click()
    expect(officer.locator("[data-status=scheduled]")).to_be_visible()
    decide = officer.locator("[data-testid=decide-form]")
    decide.locator("[name=option]").select_option(label="统一划线并编号")
    decide.locator("[name=text]").fill("经议事会举手表决通过：统一划线并编号。")
    decide.locator("button[type=submit]").click()
    expect(officer.locator("[data-status=decided]")).to_be_visible()
    _shoot(officer, "topic_decided")

    resident.goto(f"{live_server.url}/yishi/{code}/topic/{topic.pk}/")
    expect(resident.locator("[data-testid=objection-period]")).to_be_visible()
    resident.fill("form [name=text]", "希望保留一处临时装卸车位。")
    resident.fill("form [name=phone]", "13700000000")
    resident.locator("button[name=send]").click()
    expect(resident.locator(".alert-success[role=status]")).to_be_visible()
    _shoot(resident, "public_notice")

    # A week later: the notice period is over.
    Decision.objects.filter(topic=topic).update(
        objections_until=timezone.localdate() - dt.timedelta(days=1)
    )
    officer.reload()
    project = officer.locator("[data-testid=project-form]")
    project.locator("[name=budget]").fill("18000")
    project.locator("button[type=submit]").click()
    expect(officer.locator("[data-status=follow_up]")).to_be_visible()
    progress = officer.locator("[data-testid=progress-form]")
    progress.locator("[name=percent]").fill("50")
    progress.locator("[name=note]").fill("完成东区划线")
    progress.locator("[name=photos]").set_input_files([_jpeg("east.jpg", (90, 90, 90))])
    progress.locator("button[type=submit]").click()
    # Completing needs a photo of the finished work: without one, the form says so.
    complete = officer.locator("[data-testid=complete-form]")
    complete.locator("button[type=submit]").click()
    expect(officer.locator("[data-testid=complete-form] .invalid-feedback")).to_be_visible()
    _shoot(officer, "complete_needs_photo")
    expect(officer.locator("[data-status=follow_up]")).to_be_visible()
    complete = officer.locator("[data-testid=complete-form]")
    complete.locator("[name=photos]").set_input_files([_jpeg("done.jpg", (230, 200, 40))])
    complete.locator("button[type=submit]").click()
    expect(officer.locator("[data-status=done]")).to_be_visible()
    expect(officer.locator("[data-testid=completion-photos] img")).to_have_count(1)
    assert no_horizontal_scroll(officer)
    _shoot(officer, "topic_done")

    resident.goto(f"{live_server.url}/yishi/{code}/projects/")
    resident.locator(".large-text-switch button").click()
    expect(resident.locator("html.large-text")).to_have_count(1)
    resident.locator("[data-testid=project]").first.click()
    resident.locator("form [name=stars][value='5']").check()
    resident.fill("form [name=comment]", "划线后好停车多了")
    resident.fill("form [name=phone]", "13800000000")
    resident.locator("button[name=send]").click()
    expect(resident.locator("[data-testid=stars]")).to_contain_text("5.0")
    # The completed work's photo, served to anyone while the project is public.
    shown = resident.locator("[data-testid=completion-photos] img")
    expect(shown).to_have_count(1)
    assert shown.evaluate("img => img.complete && img.naturalWidth > 0")
    assert no_horizontal_scroll(resident)
    _shoot(resident, "public_project_rated")
    assert not officer.errors and not errors
