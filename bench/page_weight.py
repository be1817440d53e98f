"""What each role's pages cost a phone: bytes over the wire, requests, and time to load.

Drives a real Chromium against a running server, signed in as each demo role, at 360 px
(workers, residents) or 1366 px (officers), optionally on a throttled "slow 3G" line
(400 kbit/s, 400 ms). Serve the app as production does, so that static files are compressed
and cached as they would be::

    export DEBUG=false SECRET_KEY=x ALLOWED_HOSTS=127.0.0.1
    export SECURE_SSL_REDIRECT=false SECURE_COOKIES=false
    .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/gunicorn governance.wsgi -b 127.0.0.1:8123
    .venv/bin/python bench/page_weight.py http://127.0.0.1:8123 [--slow3g] [--lang en]

(`make run` works too; its runserver sends static files uncompressed, so figures are higher.)
Bytes are the encoded (compressed) lengths Chromium received, summed until the load event,
cold (a new browser context each page: nothing cached) and warm (the same page again).
"""

import argparse
import json
import sys
import time

from playwright.sync_api import sync_playwright

PASSWORD = "demo-grid-2026"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}

# (role, path, viewport): what each role opens most; None is a resident without an account.
PAGES = [
    ("worker", "/", PHONE),
    ("worker", "/visits/", PHONE),
    ("worker", "/areas/QH-S01-C01-G01/households/", PHONE),
    ("worker", "/tickets/", PHONE),
    ("worker", "/points/", PHONE),
    ("leader", "/", PHONE),
    ("community", "/", DESKTOP),
    ("community", "/areas/QH-S01-C01/", DESKTOP),
    ("community", "/tickets/", DESKTOP),
    ("street", "/", DESKTOP),
    ("district", "/", DESKTOP),
    ("district", "/dashboard/QH/", DESKTOP),
    ("district", "/dashboard/QH-S01-C01-G03/", PHONE),
    (None, "/r/QH-S01-C01-G03/", PHONE),
    (None, "/wishes/QH-S01-C01/", PHONE),
    (None, "/stations/", PHONE),
]


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_load_state()


def measure(page, url: str, throttle: bool) -> dict:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    received: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    started = time.perf_counter()
    response = page.goto(url, wait_until="load")
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(200)
    cdp.detach()
    return {
        "status": response.status if response else None,
        "kb": round(sum(received.values()) / 1024, 1),
        "requests": len(received),
        "load_s": round(elapsed, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", help="the running server, e.g. http://127.0.0.1:8123")
    parser.add_argument("--slow3g", action="store_true", help="400 kbit/s, 400 ms")
    parser.add_argument("--lang", default="zh-CN")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        states: dict[str, dict] = {}
        for role, path, viewport in PAGES:
            if role and role not in states:
                signing = browser.new_context()
                sign_in(signing.new_page(), base, role)
                states[role] = signing.storage_state()
                signing.close()
            # A new context per page: its cache is empty, so the first load is a first visit.
            context = browser.new_context(
                viewport=viewport, locale=args.lang, storage_state=states.get(role)
            )
            page = context.new_page()
            cold = measure(page, base + path, args.slow3g)
            warm = measure(page, base + path, args.slow3g)
            rows.append(
                {"role": role or "resident", "path": path, "width": viewport["width"]}
                | {"cold": cold, "warm": warm}
            )
            context.close()
            row = rows[-1]
            print(
                f"{row['role']:<10} {path:<40} {row['width']:>5}px  status {cold['status']}  "
                f"cold {cold['kb']:>7.1f} KB {cold['requests']:>3} req {cold['load_s']:>6.2f} s   "
                f"warm {warm['kb']:>7.1f} KB {warm['requests']:>3} req {warm['load_s']:>6.2f} s",
                flush=True,
            )
        browser.close()
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
