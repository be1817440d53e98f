"""Every page of issue 27 under load, with the framework floor in the same run: the dispatch
board (every tab, pages 1 and 2, a search) for a community and a district officer, the page
of an open request, the household (and resident) lists at every level with searches, a
worker's visits and tasks, the transitions (accept, assign, start, resolve) as POSTs and the
public form with a 1 MB photo.

    # a district-scale database first (bench/generate.py), then:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grid_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/pages.py [--seconds 10] [--only board,ticket] [--connections 16]

It CHANGES THE DATABASE: the transitions act on requests it takes from the generated ones
(moved into the demo community's first grid and handed to a part-time worker there before the run,
then accepted, assigned, started and resolved by the load), and the public form files new
requests with photos. Run it on a disposable bench database only.

gunicorn (4 workers, the production settings plus the floor view, bench/settings.py) on
loopback, wrk at 16 connections. Each page: requests/s, p50/p95/p99, the queries of one warm
request counted in-process (and of a cold one for the request's page: the cache emptied, a
new session; for the board, the kept body and rows dropped, timed as "cold ms"), its share
of the floor's throughput, the answers that failed (a GET that did not answer 200, counted
by bench/wrk_gets.lua; a POST answered 400 or more; a transition that did not move its
request: the app answers a stale or refused action with a redirect too; wrk's connection
errors and timeouts) and PASS/FAIL against the page's target in the issue. The machine's
load average is sampled after each page. JSON in var/bench/pages.json.

POSTs: a wrk Lua script (bench/wrk_posts.lua) reads prepared lines (path, then the
url-encoded body with the CSRF token) and sends each once; the public form's body is built
per request around the photo, each from another address (X-Forwarded-For, as behind the
proxy: RATELIMIT_IP_HEADER) and another mobile, so the per-address and per-phone limits do
not answer 429.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# As behind the documented proxy: the public form's per-address limits read X-Forwarded-For.
os.environ.setdefault("RATELIMIT_IP_HEADER", "X-Forwarded-For")

# Django set up with bench/settings.py and the production environment, before the models.
from bench.dashboards import wait_for  # noqa: E402

# isort: split

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.models import Area, Post, Resident  # noqa: E402
from grids.roles import Level  # noqa: E402
from tickets import board_tallies  # noqa: E402
from tickets.models import Status, Ticket  # noqa: E402

TABS = ("new", "unassigned", "overdue", "review", "escalated", "open", "all")
BENCH = ROOT / "bench"
OUT = ROOT / "var" / "bench"

# The targets: (least share of the floor %, greatest p95 ms, most queries cold).
TARGETS = {
    "list": (10, 150, None),
    "ticket": (20, 80, 8),
    "transition": (None, 150, None),
    "public": (None, 300, None),
    "floor": (None, None, None),
}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _area_of(username: str) -> Area:
    return Post.objects.active().filter(user__username=username).select_related("area")[0].area


def _csrf() -> tuple[str, str]:
    """A CSRF cookie secret and a form token that matches it."""
    secret = _get_new_csrf_string()
    return secret, _mask_cipher_secret(secret)


class Session:
    """A signed-in user's cookies for wrk (the session lives where gunicorn reads it)."""

    def __init__(self, username: str | None):
        self.username = username
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.secret, self.token = _csrf()
        self.client.cookies["csrftoken"] = self.secret
        if username:
            self.client.force_login(_user(username))

    @property
    def cookie(self) -> str:
        parts = [f"csrftoken={self.secret}"]
        if "sessionid" in self.client.cookies:
            parts.append(f"sessionid={self.client.cookies['sessionid'].value}")
        return "; ".join(parts)


# --- What to load -------------------------------------------------------------------------------


def _gets(sessions: dict[str, Session]) -> list[dict]:
    district = Area.objects.get_root_nodes().first()
    street = _area_of("street")
    community = _area_of("community")
    grid = _area_of("worker")
    pages = [
        {"name": "floor", "kind": "floor", "user": None, "path": "/bench/floor/"},
        {"name": "floor signed in", "kind": "floor", "user": "district", "path": "/bench/floor/"},
    ]
    for who in ("community", "district"):
        for tab in TABS:
            for page in (1, 2):
                query = f"?view={tab}" + (f"&page={page}" if page > 1 else "")
                pages.append(
                    {
                        "name": f"board {who} {tab} p{page}",
                        "kind": "list",
                        "user": who,
                        "path": f"/tickets/{query}",
                    }
                )
        pages.append(
            {
                "name": f"board {who} search",
                "kind": "list",
                "user": who,
                "path": "/tickets/?view=all&q=" + urllib.parse.quote("楼道"),
            }
        )
    ticket = (
        Ticket.objects.filter(area__path__startswith=community.path, status=Status.IN_PROGRESS)
        .order_by("-pk")
        .first()
    )
    if ticket is not None:
        pages.append(
            {
                "name": "ticket page",
                "kind": "ticket",
                "user": "community",
                "path": f"/tickets/{ticket.short_code}/",
                "cold_path": _cold_ticket_path(community, ticket),
            }
        )
    levels = [
        ("district", district, "district"),
        ("street", street, "street"),
        ("community", community, "community"),
        ("grid", grid, "worker"),
    ]
    for level, area, who in levels:
        for name, route in (("households", "household_list"), ("residents", "resident_list")):
            try:
                path = reverse(route, args=[area.code])
            except NoReverseMatch:
                print(f"  (no {route} page in this build: skipped)")
                continue
            pages.append({"name": f"{name} {level}", "kind": "list", "user": who, "path": path})
    resident = (
        Resident.objects.filter(household__grid__path__startswith=district.path)
        .exclude(phone="")
        .order_by("pk")
        .first()
    )
    residents = None
    if resident is not None:
        searches = {
            "name": resident.name,
            "last4": resident.phone[-4:],
            "ID number": resident.id_number,
        }
        for label, text in searches.items():
            if not text:
                continue
            path = reverse("household_list", args=[district.code]) + "?q="
            pages.append(
                {
                    "name": f"households district search {label}",
                    "kind": "list",
                    "user": "district",
                    "path": path + urllib.parse.quote(text),
                }
            )
        try:
            residents = reverse("resident_list", args=[district.code])
        except NoReverseMatch:
            residents = None
        if residents and resident.name:
            pages.append(
                {
                    "name": "residents district search name",
                    "kind": "list",
                    "user": "district",
                    "path": residents + "?q=" + urllib.parse.quote(resident.name),
                }
            )
    if residents:
        # A care roster (重点人群): the elderly living alone in the whole district, page 2.
        pages.append(
            {
                "name": "residents district care p2",
                "kind": "list",
                "user": "district",
                "path": residents + "?care=elderly_alone&page=2",
            }
        )
    pages += [
        {"name": "visits worker", "kind": "list", "user": "worker", "path": "/visits/"},
        {"name": "my tasks worker", "kind": "list", "user": "worker", "path": "/tickets/mine/"},
        # The transitions' handler, with the ~4,000 requests prepared for them (see HANDLER).
        {"name": "my tasks, 4,000 open", "kind": "list", "user": HANDLER, "path": "/tickets/mine/"},
    ]
    for page in pages:
        if page["user"] and page["user"] not in sessions:
            sessions[page["user"]] = Session(page["user"])
    return pages


def _cold_ticket_path(community: Area, warm: Ticket) -> str:
    other = (
        Ticket.objects.filter(area__path__startswith=community.path, status=Status.IN_PROGRESS)
        .exclude(pk=warm.pk)
        .order_by("-pk")
        .first()
    )
    return f"/tickets/{(other or warm).short_code}/"


# --- Transitions: requests made ready in the database -----------------------------------------

# Who the transitions hand requests to and who starts and resolves them: a part-time worker of
# the demo worker's grid, so that the thousands of requests prepared for them do not pile into
# the demo worker's own tasks, which "my tasks worker" measures as a worker's day has them
# ("my tasks, 4,000 open" measures the handler's).
HANDLER = "parttime"

TRANSITIONS = {
    # action: (who, status it needs, assignee set, the fields posted besides the version)
    "accept": ("community", Status.SUBMITTED, False),
    "assign": ("community", Status.ACCEPTED, False),
    "start": (HANDLER, Status.ASSIGNED, True),
    "resolve": (HANDLER, Status.IN_PROGRESS, True),
}


def prepare(action: str, count: int) -> list[Ticket]:
    """``count`` requests in the state ``action`` needs, moved into the demo worker's grid
    (and handed to ``HANDLER`` when the action is theirs): generated requests at any grid with
    no escalation, department, co-handling or wish (nor a photo required, to resolve), so
    that the action is allowed as they are and their timeline stays what it was (a grid's
    for a grid's)."""
    _who, status, assigned = TRANSITIONS[action]
    grid = _area_of("worker")
    worker = _user(HANDLER)
    candidates = Ticket.objects.filter(
        status=status,
        escalation_level=0,
        department__isnull=True,
        unit__isnull=True,
        area__level=Level.GRID,
        summonses__isnull=True,
        assignee__isnull=not assigned,
    ).exclude(matter__code="micro_wish")
    if action == "resolve":
        candidates = candidates.filter(matter__photo_required=False)
    picked = list(candidates.order_by("-pk").values_list("pk", flat=True)[:count])
    Ticket.objects.filter(pk__in=picked).update(
        area=grid, assignee=worker if assigned else None, household=None
    )
    return list(Ticket.objects.filter(pk__in=picked).order_by("pk"))


def _body(action: str, ticket: Ticket, token: str, handler_id: int) -> str:
    fields = {"version": ticket.version, "csrfmiddlewaretoken": token}
    if action == "assign":
        fields["assignee"] = handler_id
    if action == "resolve":
        fields["note"] = "已清理完毕"
    return urllib.parse.urlencode(fields)


def _posts(sessions: dict[str, Session], seconds: int, only) -> list[dict]:
    handler = _user(HANDLER).pk
    pages = []
    for action, (who, _status, _assigned) in TRANSITIONS.items():
        name = f"POST {action}"
        if only and not any(o in name for o in only):
            continue
        session = sessions.setdefault(who, Session(who))
        # Enough for 200 a second, and two for the in-process count (warm-up, counted).
        tickets = prepare(action, 200 * seconds + 2)
        if len(tickets) < 3:
            print(f"  {name}: no request in the state it needs; skipped")
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        lines = OUT / f"posts-{action}.txt"
        lines.write_text(
            "".join(
                f"/tickets/{t.short_code}/{action}/\t{_body(action, t, session.token, handler)}\n"
                for t in tickets[2:]
            )
        )
        pages.append(
            {
                "name": name,
                "kind": "transition",
                "user": who,
                "action": action,
                "lines": str(lines),
                "tickets": [t.pk for t in tickets[2:]],
                "from_status": _status,
                "counted": tickets[:2],
                "prepared": len(tickets) - 2,
            }
        )
    return pages


def _photo() -> bytes:
    """A photo of about 1 MB (noise does not compress), 1600 × 1200 pixels."""
    from PIL import Image

    image = Image.effect_noise((1600, 1200), 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _public(only) -> list[dict]:
    name = "POST public form 1 MB photo"
    if only and not any(o in name for o in only):
        return []
    grid = _area_of("worker")
    photo = OUT / "photo-1mb.jpg"
    OUT.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(_photo())
    matter = (
        Ticket._meta.get_field("matter")
        .related_model.objects.filter(active=True, category__active=True)
        .exclude(code="micro_wish")
        .order_by("pk")
        .first()
    )
    return [
        {
            "name": name,
            "kind": "public",
            "user": None,
            "path": f"/r/{grid.code}/",
            "photo": str(photo),
            "matter": matter.pk,
        }
    ]


# --- Queries, in-process --------------------------------------------------------------------------


def _multipart(page: dict, token: str, n: int) -> tuple[bytes, str]:
    boundary = "BenchBoundary7MA4YWxkTrZu0gW"
    fields = {
        "matter": str(page["matter"]),
        "description": "楼道堆物，影响通行",
        "reporter_phone": f"139{n:08d}",
        "csrfmiddlewaretoken": token,
    }
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    body = head.encode() + Path(page["photo"]).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def count_queries(page: dict, sessions: dict[str, Session]) -> None:
    """Queries of one warm request (and of a cold one for the request's page)."""
    session = sessions[page["user"]] if page["user"] else Session(None)
    client = session.client
    kind = page["kind"]
    if kind == "transition":
        warm, counted = page.pop("counted")
        worker_id = _user("worker").pk
        for n, ticket in enumerate((warm, counted)):
            data = dict(urllib.parse.parse_qsl(_body(page["action"], ticket, session.token, 0)))
            if page["action"] == "assign":
                data["assignee"] = str(worker_id)
            with CaptureQueriesContext(connection) as queries:
                response = client.post(f"/tickets/{ticket.short_code}/{page['action']}/", data)
            ticket.refresh_from_db()
            if ticket.status == page["from_status"] or response.status_code >= 400:
                sys.exit(f"{page['name']}: in-process POST did not move {ticket.short_code}")
            if n:
                page["queries"] = len(queries.captured_queries)
        return
    if kind == "public":
        for n in range(2):
            body, content_type = _multipart(page, session.token, 99_000_000 + n)
            with CaptureQueriesContext(connection) as queries:
                response = client.generic(
                    "POST",
                    page["path"],
                    body,
                    content_type=content_type,
                    HTTP_X_FORWARDED_FOR=f"10.255.255.{n + 1}",
                )
            if response.status_code != 302:
                sys.exit(f"{page['name']}: in-process POST answered {response.status_code}")
        page["queries"] = len(queries.captured_queries)
        return
    if kind == "ticket":
        cache.clear()
        # A session of its own: the shared one's CSRF token is already written into the
        # transitions' prepared bodies, which its cookie must keep matching.
        cold = Session(page["user"])
        with CaptureQueriesContext(connection) as queries:
            response = cold.client.get(page.pop("cold_path"))
        page["queries_cold"] = len(queries.captured_queries)
        client = cold.client
    client.get(page["path"])
    if page["path"].startswith("/tickets/?"):
        # The load meets the board as kept (tickets.board_cache); the first reader after a
        # change meets it cold: the body and its rows rendered afresh, timed here.
        cache.delete_pattern("kept:tickets:board:*")
        cache.delete_pattern("tickets:row:*")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(page["path"])
            page["cold_ms"] = round((time.perf_counter() - started) * 1000, 1)
        page["queries_cold"] = len(queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page["path"])
    if response.status_code != 200:
        sys.exit(f"{page['name']}: {page['path']} answered {response.status_code} in-process")
    page["queries"] = len(queries.captured_queries)


# --- Load -------------------------------------------------------------------------------------


def load(base: str, page: dict, cookie: str, seconds: int, connections: int) -> dict:
    # wrk's own timeout is 2 s: a slower answer would count as an error, not as latency.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    env = os.environ.copy()
    if page["kind"] == "transition":
        command += ["-s", str(BENCH / "wrk_posts.lua")]
        env["WRK_LINES"] = page["lines"]
    elif page["kind"] == "public":
        command += ["-s", str(BENCH / "wrk_posts.lua")]
        env.update(
            WRK_PHOTO=page["photo"],
            WRK_PATH=page["path"],
            WRK_MATTER=str(page["matter"]),
            WRK_TOKEN=page["token"],
        )
    else:
        command += ["-s", str(BENCH / "wrk_gets.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    # A transition's paths come from its lines.
    url = base + (page["path"] if page["kind"] != "transition" else "/")
    if page["kind"] in ("list", "ticket", "floor"):
        # A short warm-up: each worker reads the page once at least.
        warm = [*command[:3], "-d2s", *command[4:], url]
        subprocess.run(warm, capture_output=True, check=True, env=env)
    run = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env)
    line = next((x for x in run.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if line is None:
        sys.exit(f"{page['name']}: wrk said\n{run.stdout}\n{run.stderr}")
    figures = json.loads(line.removeprefix("WRK-JSON "))
    figures["rps"] = round(figures["requests"] / figures["duration_s"], 1)
    return figures


def _moved(page: dict) -> int:
    return Ticket.objects.filter(pk__in=page["tickets"]).exclude(status=page["from_status"]).count()


def verdict(page: dict, floor: float) -> str:
    share_min, p95_max, cold_max = TARGETS[page["kind"]]
    failed = []
    if not page["requests"]:
        failed.append("no answers")
    if page["failed"]:
        failed.append("errors")
    if share_min is not None and page["share"] < share_min:
        failed.append("share")
    if p95_max is not None and page["p95_ms"] > p95_max:
        failed.append("p95")
    if cold_max is not None and page.get("queries_cold", 0) > cold_max:
        failed.append("queries")
    if page["kind"] == "floor":
        return ""
    return "PASS" if not failed else "FAIL " + ",".join(failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts of page names (e.g. 'board district,ticket,POST'); "
        "the floor always runs",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    only = [o.strip() for o in args.only.split(",") if o.strip()]
    sessions: dict[str, Session] = {}
    pages = [
        p
        for p in _gets(sessions)
        if p["kind"] == "floor" or not only or any(o in p["name"] for o in only)
    ]
    pages += _posts(sessions, args.seconds, only)
    public = _public(only)
    pages += public
    # Moving the transitions' requests wrote a tally row each (the trigger); beat folds them
    # within a minute, and the board sums what is not folded on every page.
    print(f"board tallies folded: {board_tallies.fold()} areas", flush=True)
    # The fold deleted a row per request the transitions moved; run after run, with autovacuum
    # off (these machines), the dead rows pile up where a production server's autovacuum
    # reclaims them (bench/generate.py says more).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL tickets_boardtally")
    pages.append({**pages[0], "name": "floor again"})
    print(f"{len(pages)} pages; queries in-process…", flush=True)
    for page in pages:
        count_queries(page, sessions)
    for page in public:
        # The public form's CSRF pair, for the Lua script.
        secret, token = _csrf()
        page["cookie"], page["token"] = f"csrftoken={secret}", token
    connection.close()
    base = f"http://127.0.0.1:{args.port}"
    with socket.socket() as probe:
        # Another server on the port (another run of this bench) would take the load.
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"port {args.port} is in use (another bench running?): use --port")
    OUT.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no var/bench yet
    log = open(OUT / "pages-gunicorn.log", "ab")  # noqa: SIM115 - the server keeps it
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
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    loads = []
    try:
        wait_for(base + "/bench/floor/")
        if server.poll() is not None:
            sys.exit("gunicorn stopped: see var/bench/pages-gunicorn.log")
        # Every worker up and warm before the first figure: one answering is not all four.
        subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", "-d8s", base + "/bench/floor/"],
            capture_output=True,
            check=True,
        )
        for page in pages:
            cookie = page.get("cookie") or (sessions[page["user"]].cookie if page["user"] else "")
            page.update(load(base, page, cookie, args.seconds, args.connections))
            # The answers still queued in gunicorn when wrk stopped: drained before the next.
            for _ in range(args.workers):
                wait_for(base + "/bench/floor/", seconds=120)
            page["load1"] = round(os.getloadavg()[0], 2)
            loads.append(page["load1"])
            # A GET must answer 200 (a redirect to the sign-in page is no page); a POST must
            # not answer 400 or more, and a transition must move its request.
            page["failed"] = page["errors"] + page.get("not_200", page["non_2xx"])
            if page["kind"] == "transition":
                moved = _moved(page)
                page["moved"] = moved
                page["failed"] += max(0, page["requests"] - moved)
            print(
                f"  {page['name']}: {page['rps']} req/s, p95 {page['p95_ms']} ms, "
                f"failed {page['failed']}, load {page['load1']}",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        for page in pages:
            if page.get("lines"):
                Path(page["lines"]).unlink(missing_ok=True)
    # The floor at the start and again at the end: the share is of their mean, so that a
    # machine busier at one end of the run does not flatter or punish the pages.
    floor = (pages[0]["rps"] + pages[-1]["rps"]) / 2
    print()
    print(
        f"load average (1 min) during the run: min {min(loads)}, max {max(loads)}, "
        f"mean {sum(loads) / len(loads):.2f} on {os.cpu_count()} CPUs; "
        f"{args.connections} connections, {args.workers} gunicorn workers, {args.seconds} s each"
    )
    header = (
        f"{'page':<40}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queries':>9}"
        f"{'cold':>6}{'cold ms':>9}{'of floor':>10}{'failed':>8}{'load':>6}  verdict"
    )
    print(header)
    for page in pages:
        page["share"] = round(100 * page["rps"] / floor, 1) if floor else 0
        page["verdict"] = verdict(page, floor)
        cold = page.get("queries_cold", "")
        print(
            f"{page['name']:<40}{page['rps']:>8}{page['p50_ms']:>9}{page['p95_ms']:>9}"
            f"{page['p99_ms']:>9}{page.get('queries', ''):>9}{cold:>6}"
            f"{page.get('cold_ms', ''):>9}{page['share']:>9.1f}%"
            f"{page['failed']:>8}{page['load1']:>6}  {page['verdict']}"
        )
    report = {
        "connections": args.connections,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average": {"min": min(loads), "max": max(loads), "samples": loads},
        "pages": [
            {k: v for k, v in page.items() if k not in ("cookie", "token", "tickets", "lines")}
            for page in pages
        ],
    }
    out = OUT / "pages.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nJSON: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
