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
from playwright.sync_api import Error as PlaywrightError
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


def _within_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }""",
        selector,
    )


UUID = rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"


def _count_posts(page) -> list[str]:
    """The client_id of every visit POST the page makes (queue and form alike)."""
    posts: list[str] = []

    def seen(request):
        if request.method == "POST" and request.url.endswith("/visits/submit/"):
            body = request.post_data_buffer or b""
            found = re.search(UUID, body)
            posts.append(found.group().decode() if found else "?")

    page.on("request", seen)
    return posts


def _draft(page, household) -> str:
    return page.evaluate(f"localStorage.getItem('visit:household:{household.pk}') || ''")


def test_a_visit_logged_offline_is_sent_when_the_connection_returns(
    own_worker, household, open_as, live_server, shoot, tmp_path
):
    from visits.models import Visit

    _with_password(own_worker)
    page = open_as("own_worker")
    posts = _count_posts(page)
    badge = page.locator("#visit-queue")
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
    # The outcome takes the form's place, where the worker is looking, not 500 px above.
    outcome = page.locator("#visit-outcome")
    expect(outcome).to_contain_text("Saved on this phone")
    assert _within_viewport(page, "#visit-outcome")
    expect(page.locator("#visit-form")).to_be_hidden()
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1 unsent")
    assert _draft(page, household) == ""
    assert Visit.objects.count() == 1
    shoot(page, "visit-queued-en", full_page=False)
    # "Record another visit": an empty form with a new id, ready for the next household.
    page.get_by_role("button", name="Record another visit").click()
    expect(page.locator("#visit-form")).to_be_visible()
    expect(outcome).to_be_hidden()
    expect(findings).to_have_value("")
    expect(page.locator("input[name=photos]")).to_have_value("")
    assert page.input_value("input[name=client_id]") not in ("", queued_id)
    expect(save).to_be_enabled()
    keep_copy = "window.gridVisits.queued().then((q) => (window.keptCopy = q[0]).photos.length)"
    assert page.evaluate(keep_copy) == 1

    # Back online: the queue empties itself and the visit is stored with its photo, sent once
    # although both the browser's `online` event and ours fire.
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(badge).to_be_hidden()
    assert Visit.objects.count() == 2
    assert posts.count(queued_id) == 1, posts
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
    own_worker, household, open_as, live_server, shoot, tmp_path
):
    """In Chinese: the phone thinks it is online but the request dies on the way."""
    from visits.models import Visit

    _with_password(own_worker)
    # The queue, not the service worker, is under test: and a page the worker controls may
    # send a request past Playwright's routes and request events now and then, so that the
    # "dropped" request is not dropped, or a POST is not counted.
    page = open_as("own_worker", locale="zh-CN", service_workers="block")
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

    # The answer lost on the way back (the server stored it, the phone never heard): the
    # queue asks before sending again, so the visit and its photo go up once.
    posts = _count_posts(page)

    def answer_lost(route):
        route.fetch()
        route.abort("connectionreset")

    page.goto(f"{live_server.url}{reverse('visit_household', args=[household.pk])}")
    page.route("**/visits/submit/", answer_lost)
    page.fill("textarea[name=findings]", "回执丢失")
    page.set_input_files("input[name=photos]", _photo(tmp_path))
    lost_id = page.input_value("input[name=client_id]")
    page.locator("#visit-form button[type=submit]").click()
    # The phone says it is kept; on a slow machine the queue may already have asked the
    # server, heard it has the visit, and moved on to the household: both are right.
    home = reverse("household_detail", args=[household.pk])

    def kept_or_known():
        try:
            shown = page.locator("#visit-outcome[data-state=queued]").count() > 0
        except PlaywrightError:
            return False  # between two pages
        return shown or page.url.endswith(home)

    _wait_until(kept_or_known, "the visit kept on the phone, or found on the server")
    assert Visit.objects.filter(client_id=lost_id).exists()  # the server has it
    page.unroute("**/visits/submit/")
    page.goto(f"{live_server.url}{reverse('my_visits')}")
    expect(page.locator("#visit-queue")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    assert posts == [lost_id] and Visit.objects.count() == 2
    assert Visit.objects.get(client_id=lost_id).photos.count() == 1


KIT_KEPT = """() => caches.open("grid-pages").then((cache) => Promise.all(
    ["/visits/offline-form/", "/visits/households.json", "/visits/offline/"]
      .map((url) => cache.match(url, { ignoreVary: true })))).then((kept) => kept.every(Boolean))"""


def test_any_household_of_the_list_opens_offline_and_anything_else_says_offline(
    own_worker, household, territory, open_as, live_server, shoot
):
    """localhost is a secure context, as HTTPS is. The worker opens their list online once;
    offline, the form of a household never opened before opens (the generic form, filled from
    the kept list), is queued, and goes out exactly once when the signal returns. A page that
    is not kept shows the offline page, not a browser error."""
    from tests.factories import HouseholdFactory
    from visits.models import Visit

    never_opened = HouseholdFactory(
        grid=territory.grid, micro_grid=territory.micro, address="幸福路8号3单元502室"
    )
    _with_password(own_worker)
    page = open_as("own_worker", locale="zh-CN")
    posts = _count_posts(page)
    listing = f"{live_server.url}{reverse('my_visits')}"
    page.goto(listing)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker
    assert page.evaluate("!!navigator.serviceWorker.controller")
    _wait_until(lambda: page.evaluate(KIT_KEPT), "the offline form and household list to be kept")

    page.context.set_offline(True)
    page.goto(listing)  # the list itself, as kept
    expect(page.locator("h1")).to_have_text(re.compile("走访|Visits"))
    page.goto(f"{live_server.url}{reverse('visit_household', args=[never_opened.pk])}")
    expect(page.locator("#visit-target")).to_have_text(never_opened.address)
    expect(page.locator("#visit-target-where")).to_contain_text(territory.micro.name)
    expect(page.locator("#visit-offline-note")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert not _small_targets(page), _small_targets(page)
    shoot(page, "visit-offline-form-zh")
    page.locator("textarea[name=findings]").fill("离线打开的表单")
    page.check("input[name=tags][value=all_well]")
    page.locator("#visit-form button[type=submit]").click()
    expect(page.locator("#visit-outcome")).to_be_visible()
    assert _within_viewport(page, "#visit-outcome")
    expect(page.locator("#visit-queue")).to_contain_text("1")
    shoot(page, "visit-offline-saved-zh", full_page=False)

    # Anywhere else: the kept offline page, which lists what waits on the phone.
    page.goto(f"{live_server.url}{reverse('household_detail', args=[household.pk])}")
    expect(page.locator("#visit-queue-list")).to_contain_text(never_opened.address)
    expect(page.locator(f"main a[href='{reverse('my_visits')}']")).to_be_visible()
    assert no_horizontal_scroll(page)
    shoot(page, "visits-offline-page-zh")
    assert Visit.objects.count() == 0 and posts == []
    # A form that posts (here the language switch) keeps the page and says it was not sent,
    # instead of the browser's error page.
    page.select_option(".lang-switch select", "en")
    expect(page.locator(".lang-switch .offline-note")).to_be_visible()
    expect(page.locator("#visit-queue-list")).to_contain_text(never_opened.address)
    shoot(page, "visits-offline-post-zh", full_page=False)

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_until(lambda: Visit.objects.count() == 1, "the queued visit to reach the server")
    expect(page.locator("#visit-queue")).to_be_hidden()
    visit = Visit.objects.get()
    assert visit.household == never_opened and visit.findings == "离线打开的表单"
    assert len(posts) == 1, posts  # once, although the page, `online` and a new page could send
    page.goto(listing)
    page.wait_for_load_state("networkidle")
    assert len(posts) == 1 and Visit.objects.count() == 1

    # Signed out, the kept pages go: the next user of the phone sees none of them.
    page.evaluate("document.querySelector(`nav form[action$='/logout/']`).submit()")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    _wait_until(lambda: not page.evaluate("caches.has('grid-pages')"), "the kept pages to go")


def _noisy_photo(tmp_path, name="big.jpg") -> str:
    """Noise does not compress: still about a megabyte after the page shrinks it."""
    import os

    path = tmp_path / name
    Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3)).save(path, "JPEG", quality=95)
    return str(path)


def _slow_upload(page, bytes_per_second: int) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 50,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def test_a_big_photo_shows_its_progress_and_the_request_it_made(
    own_worker, household, matter, open_as, live_server, shoot, tmp_path
):
    """On a slow line the worker sees how far the upload is; a follow-up visit tells the
    request's code with a link to it. Leaving the page mid-upload loses nothing: the queue
    sends the visit from the next page."""
    from tickets.models import Ticket
    from visits.models import Visit

    _with_password(own_worker)
    page = open_as("own_worker", locale="zh-CN")
    posts = _count_posts(page)
    form_url = f"{live_server.url}{reverse('visit_household', args=[household.pk])}"
    page.goto(form_url)
    _slow_upload(page, 400 * 1024)
    page.locator("textarea[name=findings]").fill("楼道堆满纸箱，消防隐患")
    page.set_input_files("input[name=photos]", _noisy_photo(tmp_path))
    page.check("input[name=follow_up]")
    page.select_option("select[name=follow_up_matter]", matter.code)
    sent_id = page.input_value("input[name=client_id]")
    page.locator("#visit-form button[type=submit]").click()

    bar = page.locator("#visit-outcome [role=progressbar]")
    _wait_until(
        lambda: 0 < int(bar.get_attribute("aria-valuenow") or 0) < 100, "the upload to move"
    )
    expect(page.locator("#visit-outcome [data-part=title]")).to_have_text(re.compile(r"\d+ %"))
    assert _within_viewport(page, "#visit-outcome")
    shoot(page, "visit-progress-zh", full_page=False)

    ticket = None

    def made():
        nonlocal ticket
        ticket = Ticket.objects.filter(visit__client_id=sent_id).first()
        return ticket

    _wait_until(made, "the visit and its request")
    follow = page.locator("#visit-outcome [data-part=follow]")
    expect(follow).to_contain_text(ticket.short_code)
    expect(follow.locator("a")).to_have_attribute(
        "href", reverse("ticket_detail", args=[ticket.short_code])
    )
    shoot(page, "visit-sent-request-zh", full_page=False)
    assert len(posts) == 1, posts  # (a body this big is not shown to Playwright: no id)

    # The next visit: the worker leaves while the photo is on its way; the queue sends it.
    page.get_by_role("button", name=re.compile("Record another visit|再登记")).click()
    page.locator("textarea[name=findings]").fill("门口堆放杂物")
    page.set_input_files("input[name=photos]", _noisy_photo(tmp_path, "second.jpg"))
    left_id = page.input_value("input[name=client_id]")
    page.locator("#visit-form button[type=submit]").click()
    expect(page.locator("#visit-outcome")).to_have_attribute("data-state", "sending")
    _wait_until(lambda: int(bar.get_attribute("aria-valuenow") or 0) > 0, "the upload to start")
    page.goto(f"{live_server.url}{reverse('my_visits')}")
    _wait_until(
        lambda: Visit.objects.filter(client_id=left_id).exists(), "the left visit to arrive"
    )
    expect(page.locator("#visit-queue")).to_be_hidden()
    assert Visit.objects.count() == 2 and Ticket.objects.count() == 1
    assert _real_errors(page) == [], page.errors


def test_the_queue_works_on_a_plain_http_intranet_without_a_service_worker(
    own_worker, household, live_server, browser_type, browser_type_launch_args, settings
):
    """http://grid.intranet is not a secure context: no service worker, no Cache Storage, no
    navigator.locks. A visit saved offline waits in IndexedDB and is sent once when the
    connection returns."""
    from visits.models import Visit

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "grid.intranet"]
    _with_password(own_worker)
    resolve = "--host-resolver-rules=MAP grid.intranet 127.0.0.1"
    args = [*browser_type_launch_args.get("args", []), resolve]
    intranet = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        context = intranet.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
        page = context.new_page()
        base = re.sub(r"//[^:/]+", "//grid.intranet", live_server.url)
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "own_worker")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state("networkidle")
        posts = _count_posts(page)
        page.goto(f"{base}{reverse('visit_household', args=[household.pk])}")
        assert page.evaluate("window.isSecureContext") is False
        assert page.evaluate("!('caches' in window) && !navigator.serviceWorker")

        context.set_offline(True)
        page.locator("textarea[name=findings]").fill("内网离线")
        queued_id = page.input_value("input[name=client_id]")
        page.locator("#visit-form button[type=submit]").click()
        expect(page.locator("#visit-outcome")).to_be_visible()
        assert _within_viewport(page, "#visit-outcome")
        expect(page.locator("#visit-queue")).to_contain_text("1")

        context.set_offline(False)
        _wait_until(lambda: Visit.objects.filter(client_id=queued_id).exists(), "the visit")
        expect(page.locator("#visit-queue")).to_be_hidden()
        page.reload()
        page.wait_for_load_state("networkidle")
        assert posts == [queued_id] and Visit.objects.count() == 1
    finally:
        intranet.close()
