"""Every page of every role checked by axe-core in Chromium: no serious or critical WCAG 2 A/AA
violation. Each role starts on its landing page and follows same-origin GET links
breadth-first; each distinct view (its URL name) is checked once, at 1366 px, in one of the
two languages, in a browser set to it (a stable half of the views in Chinese, the rest in
English: both languages are checked and CI pays for each view once), and the worker's and the
resident's main pages again at 360 px. Then the measurements axe cannot make: the navbar's
contrast, and touch targets on the phone pages."""

from __future__ import annotations

import os
import time
import zlib
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_URL = "/static/vendor/axe-core/axe.min.js"
LOCALES = [("zh-CN", "zh"), ("en-GB", "en")]
# Each role of the demo, landing where it signs in (None: a resident with no account).
ROLES = ["district", "street", "community", "leader", "worker", "parttime", "volunteer", None]
GRID = "QH-S01-C01-G01"
COMMUNITY = "QH-S01-C01"
# Files, not pages; pages that only answer a POST; the Django admin (not ours to style).
SKIP_PREFIXES = ("/admin/", "/static/", "/media/", "/sw.js", "/accounts/logout")
SKIP_NAMES_CONTAINING = ("export", "download", "photo", "logout", "manifest", "geojson", "csv")
# A view is checked once across roles (but apart for a resident with no account):
# the roles see the same templates with more or fewer links and rows, and checking every
# (view, role) pair takes several minutes. AXE_EVERY_ROLE=1 checks every pair.
PER_ROLE = os.environ.get("AXE_EVERY_ROLE") == "1"
# AXE_BOTH_LANGUAGES=1 checks every view in both languages (about twice as long).
BOTH_LANGUAGES = os.environ.get("AXE_BOTH_LANGUAGES") == "1"
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 160))}));
}"""
LINKS = """() => Array.from(document.querySelectorAll("a[href]"))
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => new URL(a.getAttribute("href"), document.baseURI).href)"""


def _axe(page) -> list[dict]:
    # By URL (the vendored file is a static file of the site), not inline: the pages'
    # Content-Security-Policy refuses inline scripts, and it stays on while they are checked.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(AXE_RUN)


def _view_name(path: str) -> str | None:
    if path.startswith(SKIP_PREFIXES) or path.endswith((".csv", ".xlsx", ".json", ".js", ".png")):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = match.url_name or ""
    if not name or any(word in name for word in SKIP_NAMES_CONTAINING):
        return None
    return name


def _start_pages(role: str | None) -> list[str]:
    if role is not None:
        return ["/"]
    from tickets.models import Ticket

    tracked = Ticket.objects.filter(status="resolved").exclude(tracking_token="").first()
    pages = [f"/r/{GRID}/", "/t/", f"/wishes/{COMMUNITY}/", "/stations/", "/accounts/login/"]
    if tracked is not None:
        pages.append(f"/t/{tracked.tracking_token}/")
    return pages


def _languages(name: str) -> list[str]:
    """The languages a view is checked in: one of the two, the same one every run (crc32,
    unlike hash(), does not change between processes), so both languages are checked and each
    view costs one visit; both with AXE_BOTH_LANGUAGES=1."""
    if BOTH_LANGUAGES:
        return [lang for _, lang in LOCALES]
    return [LOCALES[zlib.crc32(name.encode()) % len(LOCALES)][1]]


def _visit(pages: dict, url: str, lang: str):
    """Open ``url`` in the browser set to ``lang`` (a context of its own: what a browser set
    to a language sends is more than one header, and the service worker fetches on its own)."""
    page = pages[lang]
    response = page.goto(url, wait_until="load")
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return page, None
    shown = page.evaluate("document.documentElement.lang")
    assert shown.startswith(lang), f"{url} asked for {lang}, shown in {shown!r}"
    return page, response


def _crawl(pages: dict, base: str, role: str | None, seen: set, found: list, checked: list):
    # Signed in or not, a page differs (menu, forms); between roles mostly by links and rows.
    who = role if PER_ROLE else role is None
    queue = deque(base + path for path in _start_pages(role))
    queued = set(queue)
    while queue:
        url = queue.popleft()
        name = _view_name(urlsplit(url).path)
        if name is None or (name, who) in seen:
            continue
        seen.add((name, who))
        for lang in _languages(name):
            started = time.monotonic()
            page, response = _visit(pages, url, lang)
            if response is None:
                break
            final = urlsplit(page.url).path
            landed = _view_name(final) or name
            if lang not in _languages(landed):
                # A redirect (the landing page, say) to a view of the other language: load
                # that view in its own.
                lang = _languages(landed)[0]
                page, response = _visit(pages, page.url, lang)
                if response is None:
                    break
            # A redirect may also end on a page already checked: its links are still this
            # role's way on.
            if (landed, who, lang) not in seen:
                seen.update({(landed, who, lang), (landed, who)})
                for violation in _axe(page):
                    found.append(
                        {"role": role or "resident", "lang": lang, "url": final, **violation}
                    )
                checked.append(
                    (role or "resident", lang, landed, response.status, time.monotonic() - started)
                )
        else:
            for href in page.evaluate(LINKS):
                href = href.split("#", 1)[0]
                if href.startswith(base) and href not in queued:
                    queued.add(href)
                    queue.append(href)


def _report(found: list) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['lang']} {v['role']} {v['url']}: {v['id']} ({v['impact']}) {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)


def _sign_in(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo-grid-2026")
    page.click("form button[type=submit]")
    page.wait_for_load_state("load")
    return page


def test_every_page_of_every_role_has_no_serious_axe_violation(demo, browser, live_server):
    base = live_server.url
    seen: set[tuple] = set()
    found: list[dict] = []
    checked: list[tuple] = []
    started = time.monotonic()
    for role in ROLES:
        contexts = {
            lang: browser.new_context(viewport=DESKTOP, locale=locale, device_scale_factor=1)
            for locale, lang in LOCALES
        }
        try:
            pages = {
                lang: _sign_in(context, base, role) if role else context.new_page()
                for lang, context in contexts.items()
            }
            _crawl(pages, base, role, seen, found, checked)
        finally:
            for context in contexts.values():
                context.close()
    took = time.monotonic() - started
    by_language = {lang: sum(1 for c in checked if c[1] == lang) for _, lang in LOCALES}
    print(f"\naxe: {len(checked)} views ({by_language}) in {took:.0f} s")
    for role, lang, name, status, seconds in checked:
        print(f"  {role:10} {lang} {name:32} {status} {seconds:.1f} s")
    assert all(by_language.values()), f"a language was never checked: {by_language}"
    assert not found, _report(found)


# --- What axe does not measure ------------------------------------------------------------------

CONTRAST = """(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bar = getComputedStyle(document.querySelector("nav.navbar")).backgroundColor;
  return Array.from(document.querySelectorAll(selector))
    .filter((e) => e.offsetParent !== null)
    .map((e) => {
      const [a, b] = [lum(getComputedStyle(e).color), lum(bar)].sort((x, y) => y - x);
      return [e.textContent.trim(), (a + 0.05) / (b + 0.05)];
    });
}"""
# Controls under 24 px anywhere (WCAG 2.5.8), leaving out links inside a sentence, which the
# criterion exempts; and the main controls under 44 px.
SMALL = """([selector, least]) => Array.from(document.querySelectorAll(selector))
  .filter((e) => e.offsetParent !== null && !e.closest(".hp-field, .visually-hidden"))
  // A control hidden behind its label (a toggle button, a chip) is as big as the label.
  .filter((e) => !e.matches(".visually-hidden-focusable, .btn-check")
                 && getComputedStyle(e).opacity !== "0")
  .filter((e) => {
    if (e.tagName !== "A" || getComputedStyle(e).display !== "inline") return true;
    const text = e.parentElement.textContent.trim();
    return text === e.textContent.trim();
  })
  .filter((e) => {
    const box = e.getBoundingClientRect();
    return box.height < least - 0.5 || box.width < least - 0.5;
  })
  .map((e) => e.outerHTML.slice(0, 120))"""
BADGES = """() => Array.from(document.querySelectorAll(".badge"))
  .filter((e) => e.offsetParent !== null && parseFloat(getComputedStyle(e).fontSize) < 11.95)
  .map((e) => e.outerHTML.slice(0, 120))"""
ANY_TARGET = "a[href], button, select, input:not([type=hidden]), .form-check"
MAIN_TARGETS = (
    "main .btn-lg, main form button[type=submit], .lang-switch select, .lang-switch button, "
    ".large-text-switch button, .navbar-toggler, main .list-group-item-action, main .form-check"
)


def _targets(page) -> tuple[list[str], list[str]]:
    return page.evaluate(SMALL, [ANY_TARGET, 24]), page.evaluate(SMALL, [MAIN_TARGETS, 44])


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_the_menu_reads_at_4_5_to_1_and_marks_where_you_are(
    demo, open_as, live_server, shoot, locale
):
    page = open_as("community", locale=locale, viewport=DESKTOP)
    page.goto(f"{live_server.url}/tickets/mine/")
    ratios = page.evaluate(CONTRAST, ".navbar .nav-link, .navbar-brand")
    assert ratios and all(ratio >= 4.5 for _text, ratio in ratios), ratios
    current = page.locator(".navbar .nav-link[aria-current=page]")
    assert current.count() == 1
    assert current.get_attribute("href") == "/tickets/mine/"
    # Marked by more than colour: bold and a bar.
    assert page.evaluate(
        "(e) => getComputedStyle(e).fontWeight >= 700 && getComputedStyle(e).boxShadow !== 'none'",
        current.element_handle(),
    )
    if locale == "zh-CN":
        page.locator("nav.navbar").screenshot(path=str(SCREENSHOTS / "a11y-navbar-zh.png"))
        phone = open_as("worker", locale=locale, viewport=PHONE)
        phone.goto(f"{live_server.url}/visits/")
        phone.locator(".navbar-toggler").click()
        expect(phone.locator(".navbar .nav-link[aria-current=page]")).to_be_visible()
        phone.locator("nav.navbar").screenshot(path=str(SCREENSHOTS / "a11y-navbar-phone-zh.png"))


def _resident_phone(browser, locale="zh-CN"):
    context = browser.new_context(viewport=PHONE, locale=locale, device_scale_factor=1)
    return context, context.new_page()


def test_the_main_phone_pages_pass_axe_and_have_big_enough_targets(
    demo, browser, open_as, live_server
):
    from tickets.models import Ticket

    base = live_server.url
    problems = []
    tracked = Ticket.objects.filter(status="resolved").exclude(tracking_token="").first()
    resident_pages = [f"/r/{GRID}/", "/t/", f"/wishes/{COMMUNITY}/", "/stations/"]
    if tracked is not None:
        resident_pages.append(f"/t/{tracked.tracking_token}/")
    for locale, lang in LOCALES:
        worker = open_as("worker", locale=locale, viewport=PHONE)
        worker_pages = ["/", "/visits/", "/tickets/mine/", "/points/"]
        worker.goto(f"{base}/visits/")
        visit_form = worker.locator("a[href*='/visits/household/']").first
        if visit_form.count():
            worker_pages.append(visit_form.get_attribute("href"))
        context, resident = _resident_phone(browser, locale)
        try:
            for page, paths in ((worker, worker_pages), (resident, resident_pages)):
                for path in paths:
                    page.goto(base + path, wait_until="load")
                    where = f"{lang} 360 px {urlsplit(page.url).path}"
                    problems += [f"{where}: {v['id']} {v['nodes']}" for v in _axe(page)]
                    tiny, small = _targets(page)
                    problems += [f"{where}: under 24 px: {html}" for html in tiny]
                    problems += [f"{where}: under 44 px: {html}" for html in small]
                    problems += [f"{where}: badge under 12 px: {b}" for b in page.evaluate(BADGES)]
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_a_resident_switches_to_large_text_and_still_sends_a_request(
    demo, browser, live_server, shoot
):
    from tickets.models import Matter

    context, page = _resident_phone(browser, "zh-CN")
    try:
        page.goto(f"{live_server.url}/r/{GRID}/")
        normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        shoot(page, "a11y-request-normal-zh")
        switch = page.locator(".large-text-switch button")
        assert switch.get_attribute("aria-pressed") == "false"
        switch.click()
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert {c["name"]: c["value"] for c in context.cookies()}.get("large_text") == "1"
        large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert normal < 20 <= large
        assert page.locator(".large-text-switch button").get_attribute("aria-pressed") == "true"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not _axe(page)
        tiny, small = _targets(page)
        assert not tiny and not small, tiny + small
        shoot(page, "a11y-request-large-zh")

        # Remembered by the browser: another public page opens large too.
        page.goto(f"{live_server.url}/stations/")
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert not _axe(page)
        shoot(page, "a11y-stations-large-zh", full_page=False)
        page.goto(f"{live_server.url}/wishes/{COMMUNITY}/")
        assert not _axe(page)
        shoot(page, "a11y-wishes-large-zh", full_page=False)

        page.goto(f"{live_server.url}/r/{GRID}/")
        matter = Matter.objects.get(code="stairwell_clutter")
        page.select_option("select[name=matter]", value=str(matter.pk))
        page.fill("textarea[name=description]", "楼道灯坏了，晚上看不见台阶")
        page.fill("input[name=address]", "5幢1单元")
        page.fill("input[name=reporter_name]", "王奶奶")
        page.fill("input[name=reporter_phone]", "139 1234 5678")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/t/**")
        assert "sent=1" in page.url
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert page.locator(".short-code").is_visible()
        assert not _axe(page)
        shoot(page, "a11y-request-sent-large-zh")
    finally:
        context.close()
