import os
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.waiting import STALL_SECONDS

# Sync Playwright runs an event loop in the test thread; Django's ORM must be allowed there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}


# One loaded-machine-safe limit for everything Playwright waits on (an action, a navigation,
# an ``expect``), instead of its defaults of 30 s and 5 s, which a machine at load 5-12 with
# Chromium, the live server and PostgreSQL on 2 cores does not always meet. It applies to
# every context the tests open (``browser.new_context`` below) and to every ``expect``; a
# test that passes waits no longer for it, one that fails says so after this long.
# TEST_STALL_SECONDS (tests/waiting.py) sets it.
BROWSER_TIMEOUT_MS = int(STALL_SECONDS * 1000)
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser(browser):
    """pytest-playwright's browser, whose new contexts wait ``BROWSER_TIMEOUT_MS``."""
    new_context = browser.new_context

    def with_timeouts(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        return context

    browser.new_context = with_timeouts
    return browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.conftest import CHROMIUM

    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def shoot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def open_as(browser, live_server):
    """A fresh browser context in a language and viewport, signed in through the login form."""
    contexts = []

    def login(username: str, *, locale: str = "en-GB", viewport=PHONE, service_workers="allow"):
        context = browser.new_context(
            viewport=viewport,
            locale=locale,
            device_scale_factor=1,
            service_workers=service_workers,
        )
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.errors = errors
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo-grid-2026")
        page.click("form button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield login
    for context in contexts:
        context.close()


def origin(page) -> str:
    """The live server's scheme and host, from wherever the page is (each role lands elsewhere)."""
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def no_horizontal_scroll(page) -> bool:
    # After a click that navigates, the new document may not exist yet: measure it once loaded.
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def open_sections(page) -> None:
    """Unfold every theme of an area's page (a phone shows them folded, the first open)."""
    page.wait_for_load_state("load")
    closed = page.locator(".area-sections details:not([open]) > summary")
    for _ in range(closed.count()):
        closed.first.click()


# A journey written for both languages runs in one of them, the same one every run (crc32,
# unlike hash(), is stable between processes): about half the journeys in Chinese, half in
# English, so both stay proved and CI pays for each journey once. The catalogue's completeness
# is proved apart (tests/test_i18n.py). BROWSER_BOTH_LANGUAGES=1 runs every journey in both.
BOTH_LANGUAGES = os.environ.get("BROWSER_BOTH_LANGUAGES") == "1"
JOURNEY_LOCALES = ["zh-CN", "en-GB"]


def journey_locale(name: str) -> str:
    return JOURNEY_LOCALES[zlib.crc32(name.encode()) % len(JOURNEY_LOCALES)]


def pytest_collection_modifyitems(config, items):
    if BOTH_LANGUAGES:
        return
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        locale = params.get("locale")
        if locale in JOURNEY_LOCALES and locale != journey_locale(item.originalname):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
