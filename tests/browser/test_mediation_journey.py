"""Mediation (矛盾纠纷调解) in Chromium on a phone, in Chinese: the grid worker records a
high-risk dispute with its parties, logs a talk, closes it with an agreement and a photo of
the signed copy, and logs the follow-up visit; the street officer, told at once, finds the
case on the community's rolling screening (滚动排查). Screenshots in /tmp/shots/mediation_*."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"
SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks for them


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"mediation_{name}.png"), full_page=True)


def _signed_copy(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "signed.jpg"
    out = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_a_worker_mediates_a_dispute_and_the_street_sees_it(
    territory, own_worker, street_officer, household, open_as, live_server, tmp_path
):
    from mediation.models import Case, Status
    from notifications.models import NoticeKind, Notification

    for user in (own_worker, street_officer):
        user.set_password(PASSWORD)
        user.save()

    worker = open_as("own_worker", locale="zh-CN")
    worker.goto(f"{live_server.url}/mediation/area/{territory.grid.code}/")
    worker.get_by_test_id("new-case").click()
    form = worker.locator("form")
    form.locator("[name=type]").select_option("neighbours")
    form.locator("[name=risk]").select_option("high")
    form.locator("[name=summary]").fill("楼上住户夜间噪音扰民，双方多次争吵，情绪激动。")
    form.locator("[name=household]").select_option(str(household.pk))
    form.locator("[name=applicant_name]").fill("王建国")
    form.locator("[name=applicant_phone]").fill("13812345678")
    form.locator("[name=respondent_name]").fill("李秀英")
    form.locator("[name=respondent_phone]").fill("13987654321")
    assert no_horizontal_scroll(worker)
    _shoot(worker, "new_case_360")
    worker.get_by_test_id("save").click()
    expect(worker.get_by_test_id("status")).to_be_visible()
    case = Case.objects.get()
    assert worker.url.endswith(f"/mediation/case/{case.pk}/")
    assert Notification.objects.filter(
        kind=NoticeKind.HIGH_RISK_DISPUTE, recipient=street_officer
    ).exists()

    step = worker.get_by_test_id("step-form")
    step.locator("[name=kind]").select_option("joint")
    step.locator("[name=notes]").fill("组织双方在百家微解工作室面对面协商。")
    worker.get_by_test_id("save-step").click()
    expect(worker.locator("ol.list-group li")).to_have_count(1)
    assert no_horizontal_scroll(worker)
    _shoot(worker, "case_360")

    worker.get_by_test_id("close").click()
    worker.locator("input[name=outcome][value=agreement]").check()
    worker.locator("[name=agreement_text]").fill("楼上住户晚十点后不再使用洗衣机，双方和睦相处。")
    worker.locator("[name=signed_copy]").set_input_files(str(_signed_copy(tmp_path)))
    worker.get_by_test_id("save").click()
    expect(worker.get_by_test_id("outcome")).to_be_visible()
    expect(worker.locator(f"a[href='/mediation/case/{case.pk}/signed-copy/']")).to_be_visible()

    worker.get_by_test_id("follow-up-form").locator("[name=notes]").fill("回访：协议履行良好。")
    worker.get_by_test_id("save-follow-up").click()
    expect(worker.get_by_test_id("followed-up")).to_be_visible()
    _shoot(worker, "closed_360")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.follow_up_visit is not None

    street = open_as("street_officer", locale="zh-CN")
    street.goto(f"{live_server.url}/mediation/area/{territory.community.code}/screening/")
    expect(street.get_by_test_id("open-cases").locator("li a")).to_have_count(1)
    assert no_horizontal_scroll(street)
    _shoot(street, "screening_360")
    street.goto(f"{live_server.url}/mediation/area/{territory.grid.code}/")
    # Parties are masked in the list, for the street as for anyone.
    expect(street.locator(f"[data-case='{case.pk}']")).to_contain_text("138****5678")
    _shoot(street, "list_360")
