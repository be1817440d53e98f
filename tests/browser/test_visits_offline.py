"""Household visits (走访) in Chromium on a 360 px phone with a weak signal: a visit logged
online arrives at once; one logged offline waits on the phone (IndexedDB), shows in the navbar
badge and is sent when the connection returns; sending the same visit again stores nothing new.
A draft survives a reload, a refused form keeps what was typed, and a dropped request is queued
and sent on the next page load. Screenshots in var/screenshots/."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll
from tests.waiting import wait_for_progress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-grid-2026"  # what open_as types into the login form

# A queue entry copied aside in the page, put back, and sent again by the page's own flush.
REQUEUE = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("grid-visits");
    open.onsuccess = () => {
        const tx = open.result.transaction("queue", "readwrite");
        tx.objectStore("queue").put(window.keptCopy);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
    };
})"""


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def _photo(tmp_path, name="door.jpg", size=(2400, 1800)) -> str:
    """A camera-sized JPEG: the page should shrink it to 1600 px before it leaves the phone."""
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(buffer, "JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _real_errors(page) -> list[str]:
    # Chromium logs every 4xx answer and every request made offline as a console error.
    return [e for e in page.errors if "Failed to load resource" not in e]


def _wait_until(check, what: str) -> None:
    # Not page.wait_for_function: it evaluates a string, which the CSP (no unsafe-eval) forbids.
    # The page's work has no measure to watch: this waits TEST_STALL_SECONDS, not 5 s.
    wait_for_progress(check, bool, what=what, poll=0.05)


# Everything a thumb has to hit on the visit form: at least 44 px high.
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    '#visit-form button, #visit-form select, #visit-form textarea, #visit-form .visit-tags label,'
    + ' #visit-form .form-check-touch, #visit-form input:not([type=hidden]):not([type=checkbox])'
  )).filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
    .map((el) => el.outerHTML.slice(0, 80))"""


def _small_targets(page) -> list[str]:
    return page.evaluate(SMALL_TARGETS)


def _draft(page, household) -> str:
    return page.evaluate(f"localStorage.getItem('visit:household:{household.pk}') || ''")


def test_a_visit_logged_offline_is_sent_when_the_connection_returns(
    own_worker, household, open_as, live_server, shoot, tmp_path
):
    from visits.models import Visit

    _with_password(own_worker)
    page = open_as("own_worker")
    badge = page.locator("#visit-queue")
    status = page.locator("#visit-status")
    findings = page.locator("textarea[name=findings]")
    save = page.locator("#visit-form button[type=submit]")
    form_url = f"{live_server.url}{reverse('visit_household', args=[household.pk])}"

    page.goto(f"{live_server.url}{reverse('household_detail', args=[household.pk])}")
    page.locator(f"a[href$='{reverse('visit_household', args=[household.pk])}']").click()
    expect(page.locator("#visit-form")).to_be_visible()
    expect(badge).to_be_hidden()
    assert no_horizontal_scroll(page)
    assert not _small_targets(page), _small_targets(page)
    shoot(page, "visit-form-en")

    # Online: the visit arrives at once and the worker lands on the household page.
    page.select_option("select[name=kind]", "routine")
    findings.fill("老人身体还好，子女每周来看")
    page.check("input[name=tags][value=all_well]")
    save.click()
    expect(page).to_have_url(re.compile(rf"/households/{household.pk}/$"))
    first = Visit.objects.get()
    assert first.by == own_worker and first.tags == ["all_well"] and first.household == household
    assert not first.photos.exists()

    # A draft survives a reload (or a tab the camera app pushed out of memory).
    page.goto(form_url)
    expect(findings).to_have_value("")  # the sent visit's draft was cleared
    rendered_id = page.input_value("input[name=client_id]")
    assert rendered_id != str(first.client_id)
    page.fill("input[name=people_met]", "王阿姨")
    findings.fill("楼道灯坏了")
    # Saved after a 300 ms pause.
    _wait_until(lambda: "楼道灯坏了" in _draft(page, household), "the draft to be saved")
    page.reload()
    expect(findings).to_have_value("楼道灯坏了")
    expect(page.locator("input[name=people_met]")).to_have_value("王阿姨")
    assert page.input_value("input[name=client_id]") == rendered_id  # the draft's id is kept

    # Refused (follow-up without saying what): the reason shows at the field, the draft stays.
    findings.fill("")
    page.check("input[name=follow_up]")
    save.click()
    expect(page.locator(".visit-error")).to_be_visible()
    expect(findings).to_have_class(re.compile(r"\bis-invalid\b"))
    assert Visit.objects.count() == 1 and "王阿姨" in _draft(page, household)
    page.uncheck("input[name=follow_up]")

    # Offline: filled in, photo attached, saved on the phone; nothing reaches the server.
    page.context.set_offline(True)
    page.select_option("select[name=kind]", "care")
    findings.fill("楼道灯坏了，已告知物业")
    page.check("input[name=tags][value=safety]")
    page.set_input_files("input[name=photos]", _photo(tmp_path))
    queued_id = page.input_value("input[name=client_id]")
    save.click()
    expect(status).to_contain_text("Saved on this phone")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1 unsent")
    expect(findings).to_have_value("")  # ready for the next household
    expect(page.locator("input[name=photos]")).to_have_value("")
    assert page.input_value("input[name=client_id]") not in ("", queued_id)
    assert _draft(page, household) == ""
    expect(save).to_be_enabled()  # the form is ready for the next visit
    assert Visit.objects.count() == 1
    shoot(page, "visit-queued-en")
    keep_copy = "window.gridVisits.queued().then((q) => (window.keptCopy = q[0]).photos.length)"
    assert page.evaluate(keep_copy) == 1

    # Back online: the queue empties itself and the visit is stored with its photo.
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(badge).to_be_hidden()
    assert Visit.objects.count() == 2
    second = Visit.objects.get(client_id=queued_id)
    assert second.kind == "care" and second.tags == ["safety"] and second.people_met == "王阿姨"
    assert second.photos.count() == 1
    with second.photos.get().image.open() as stored, Image.open(stored) as image:
        assert max(image.size) <= 1600  # shrunk in the browser (the server may shrink further)

    # The same payload sent again (a second tab, an answer lost on the way back): no double.
    page.evaluate(REQUEUE)
    page.evaluate("window.gridVisits.showQueue()")
    expect(badge).to_have_text("1 unsent")
    page.evaluate("window.gridVisits.flush()")
    expect(badge).to_be_hidden()
    assert Visit.objects.count() == 2 and second.photos.count() == 1
    assert not _real_errors(page), page.errors


def test_a_dropped_request_waits_and_goes_out_on_the_next_page(
    own_worker, household, open_as, live_server, shoot
):
    """In Chinese: the phone thinks it is online but the request dies on the way."""
    from visits.models import Visit

    _with_password(own_worker)
    page = open_as("own_worker", locale="zh-CN")
    page.goto(f"{live_server.url}{reverse('visit_household', args=[household.pk])}")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh"))
    assert no_horizontal_scroll(page)
    shoot(page, "visit-form-zh")

    page.route("**/visits/submit/", lambda route: route.abort("connectionreset"))
    page.fill("textarea[name=findings]", "门口堆放杂物")
    page.check("input[name=tags][value=environment]")
    queued_id = page.input_value("input[name=client_id]")
    page.locator("#visit-form button[type=submit]").click()
    expect(page.locator("#visit-queue")).to_be_visible()
    expect(page.locator("#visit-queue")).to_contain_text("1")
    expect(page.locator("#visit-form button[type=submit]")).to_be_enabled()
    assert Visit.objects.count() == 0
    shoot(page, "visit-queued-zh")

    page.unroute("**/visits/submit/")
    page.goto(f"{live_server.url}{reverse('household_detail', args=[household.pk])}")
    # The badge starts hidden on a new page: wait for the server to have the visit.
    _wait_until(lambda: Visit.objects.count() == 1, "the queued visit to reach the server")
    expect(page.locator("#visit-queue")).to_be_hidden()
    visit = Visit.objects.get()
    assert str(visit.client_id) == queued_id and visit.tags == ["environment"]
    assert not _real_errors(page), page.errors


def test_the_visit_pages_open_without_a_signal_from_the_service_worker(
    own_worker, household, open_as, live_server, shoot
):
    """localhost is a secure context, as HTTPS is: the service worker keeps the list and the
    form, and a visit logged from the kept form is queued and sent when the signal returns."""
    from visits.models import Visit

    _with_password(own_worker)
    page = open_as("own_worker")
    listing = f"{live_server.url}{reverse('my_visits')}"
    form_url = f"{live_server.url}{reverse('visit_household', args=[household.pk])}"
    page.goto(listing)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker, which keeps what it serves
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.goto(form_url)
    page.goto(listing)

    page.context.set_offline(True)
    page.goto(listing)
    expect(page.locator("h1")).to_have_text("Visits")
    page.goto(form_url)
    expect(page.locator("#visit-form")).to_be_visible()
    page.locator("textarea[name=findings]").fill("离线打开的表单")
    page.locator("#visit-form button[type=submit]").click()
    expect(page.locator("#visit-queue")).to_have_text("1 unsent")
    shoot(page, "visit-sw-offline-en")
    assert Visit.objects.count() == 0

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#visit-queue")).to_be_hidden()
    _wait_until(lambda: Visit.objects.count() == 1, "the queued visit to reach the server")
    assert Visit.objects.get().findings == "离线打开的表单"
