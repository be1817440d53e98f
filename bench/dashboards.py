"""Serve the app with gunicorn on loopback and load it with wrk: the dashboards, the dispatch
board and the public form against a trivial Django view (the framework floor), same run.

    # a district-scale database first (see bench/generate.py), then:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/dashboards.py [--seconds 20] [--connections 16] [--workers 4]

Needs ``wrk`` (apt-get install wrk). For each page it prints requests/s, p50/p95/p99
latency, the queries one request reads (counted in-process on the same database, page
warm), and the share of the floor's throughput; the same as JSON in
var/bench/dashboards.json. The floor runs twice: anonymous (the framework floor proper) and
signed in, which adds reading the session and the user. Targets (issue 8): dashboard p95 ≤
100 ms at 16 connections with ≤ 8 queries, dispatch board p95 ≤ 150 ms, dashboard
throughput ≥ 15% of the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Before anything of governance is imported: its package sets up Celery, which names the
# production settings unless a module is named already.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
from governance import devkeys  # noqa: E402

SETTINGS = {
    **devkeys.environ(),
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "STATIC_MANIFEST": "false",
    "LOG_LEVEL": "ERROR",
}
for key, value in SETTINGS.items():
    os.environ.setdefault(key, value)
if "--without-user-cache" in sys.argv:  # read by bench/settings.py, here and in gunicorn
    os.environ["BENCH_USER_CACHE"] = "off"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.models import Area, Post  # noqa: E402
from grids.roles import Level  # noqa: E402


def targets() -> list[dict]:
    """(name, user or None, path) of each page to load."""
    district = Area.objects.get_root_nodes().first()
    officer = User.objects.get(username="community")
    community = Post.objects.active().filter(user=officer).select_related("area").first().area
    grid = Area.objects.filter(path__startswith=community.path, level=Level.GRID).first()
    return [
        {"name": "framework floor (trivial view)", "user": None, "path": "/bench/floor/"},
        # The same view for a signed-in user: what reading the session and the user costs.
        {"name": "floor, signed in", "user": "district", "path": "/bench/floor/"},
        {"name": "district dashboard", "user": "district", "path": f"/dashboard/{district.code}/"},
        {
            "name": "community dashboard",
            "user": "community",
            "path": f"/dashboard/{community.code}/",
        },
        {"name": "dispatch board", "user": "community", "path": "/tickets/"},
        {"name": "public request form", "user": None, "path": f"/r/{grid.code}/"},
    ]


def count_queries(target: dict) -> tuple[int, str]:
    """Queries of one warm request, in-process; and a session cookie for wrk."""
    client = Client()
    cookie = ""
    if target["user"]:
        client.force_login(User.objects.get(username=target["user"]))
        cookie = client.cookies["sessionid"].value
    client.get(target["path"], HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target["path"], HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        sys.exit(f"{target['path']} answered {response.status_code} in-process")
    return len(queries.captured_queries), cookie


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {url}")


def load(url: str, cookie: str, seconds: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    # A short warm-up first: gunicorn's workers open their database connections.
    warm = [*command[:3], "-d3s", *command[4:], url]
    subprocess.run(warm, capture_output=True, check=True)
    run = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    out = run.stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK-JSON "))
    figures = json.loads(line.removeprefix("WRK-JSON "))
    figures["rps"] = round(figures["requests"] / figures["duration_s"], 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--without-user-cache",
        action="store_true",
        help="read the user, posts and unread count from the database on every request",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    pages = targets()
    for page in pages:
        page["queries"], page["cookie"] = count_queries(page)
    connection.close()
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "governance.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    try:
        wait_for(base + "/bench/floor/")
        for page in pages:
            page.update(load(base + page["path"], page["cookie"], args.seconds, args.connections))
            print(f"  {page['name']}: {page['rps']} req/s, p95 {page['p95_ms']} ms", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    floor, signed_in = pages[0]["rps"], pages[1]["rps"]
    print()
    header = f"{'page':<32}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queries':>9}"
    print(header + f"{'of floor':>10}{'of signed-in':>14}{'non-2xx':>9}")
    for page in pages:
        share = 100 * page["rps"] / floor if floor else 0
        page["share_of_floor_pct"] = round(share, 1)
        # Signed-in pages against the same trivial view signed in: what the page itself costs.
        mine = ""
        if page["user"] and signed_in:
            page["share_of_signed_in_floor_pct"] = round(100 * page["rps"] / signed_in, 1)
            mine = f"{page['share_of_signed_in_floor_pct']}%"
        print(
            f"{page['name']:<32}{page['rps']:>8}{page['p50_ms']:>9}{page['p95_ms']:>9}"
            f"{page['p99_ms']:>9}{page['queries']:>9}{share:>9.1f}%{mine:>14}{page['non_2xx']:>9}"
        )
    report = {
        "connections": args.connections,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "user_cache": not args.without_user_cache,
        "cpus": os.cpu_count(),
        "pages": [{k: v for k, v in page.items() if k != "cookie"} for page in pages],
    }
    out = ROOT / "var" / "bench" / "dashboards.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nJSON: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
