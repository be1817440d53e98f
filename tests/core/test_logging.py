"""Log lines with the request id: in the response header, on every line of the request (JSON
when LOG_FORMAT=json), and on the lines of the tasks the request enqueued, run eagerly or by
a real worker on Redis."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from core.logs import JsonFormatter, RequestIdFilter
from tests.broker import publishing_to
from tests.waiting import STALL_SECONDS, run_to_completion, wait_for_progress

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """The root logger's lines as the console handler writes them with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    # Starting a worker sets logging up again from the settings: attach once more after it.
    read.attach = lambda: (root.addHandler(handler), root.setLevel(logging.INFO))
    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def _request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "grid.request"]


def test_a_json_log_line_carries_the_request_id_the_response_sends(client, json_lines):
    response = client.get("/healthz")
    rid = response["X-Request-ID"]
    assert len(rid) == 32
    (line,) = _request_lines(json_lines())
    assert line["request_id"] == rid
    assert {"time", "level", "logger", "message"} <= line.keys()
    assert (line["method"], line["path"], line["view"], line["status"]) == (
        "GET",
        "/healthz",
        "healthz",
        response.status_code,
    )
    assert line["duration_ms"] >= 0
    assert "user_id" not in line  # nobody signed in


def test_django_s_own_line_about_a_404_carries_the_request_id_and_the_next_line_none(
    client, json_lines
):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    (line,) = [line for line in json_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    logging.getLogger("grid.test").warning("after the request")
    assert json_lines()[-1]["request_id"] is None


def test_a_sane_request_id_is_kept_and_anything_else_replaced(client):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2026:01")
    assert kept["X-Request-ID"] == "lb-7f3a.2026:01"
    for bad in ("x" * 65, "a b", 'a"}\n{"level":"ERROR"', ""):
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert replaced != bad and len(replaced) == 32


def test_a_signed_in_request_logs_the_user_s_id_and_nothing_personal(
    client, own_worker, json_lines
):
    own_worker.phone = "13812345678"
    own_worker.save()
    client.force_login(own_worker)
    client.get(reverse("my_visits"))
    (line,) = _request_lines(json_lines())
    assert line["user_id"] == own_worker.pk
    assert "13812345678" not in json.dumps(line)
    assert own_worker.username not in json.dumps(line)


def _add_household(client, territory, address: str):
    return client.post(
        reverse("household_create", kwargs={"code": territory.grid.code}),
        {"grid": territory.grid.pk, "address": address},
    )


def test_a_task_enqueued_in_a_request_logs_the_request_s_id(
    client, own_worker, territory, json_lines, django_capture_on_commit_callbacks
):
    """Eagerly, as the tests run tasks; the tally's task runs after the test's transaction
    would commit, after the request's own code."""
    client.force_login(own_worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = _add_household(client, territory, "幸福路1号")
    assert response.status_code == 302, response.content[:300]
    rid = response["X-Request-ID"]
    tasks = [line for line in json_lines() if line["logger"] == "grid.task"]
    assert {line["task"] for line in tasks} == {"grids.tasks.refresh_grid_tally"}
    assert tasks and all(line["request_id"] == rid for line in tasks)
    assert tasks[-1]["state"] == "SUCCESS"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_request_s_task_under_the_request_s_id(
    client, own_worker, territory, json_lines
):
    """The id crosses the broker in the message's headers into another thread."""
    from celery.contrib.testing.worker import start_worker
    from celery.worker import state as worker_state

    from governance.celery import app

    client.force_login(own_worker)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = {"pool": "solo", "perform_ping_check": False, "shutdown_timeout": STALL_SECONDS}
    with publishing_to(url), start_worker(app, **worker):
        json_lines.attach()
        response = _add_household(client, territory, "幸福路2号")
        assert response.status_code == 302, response.content[:300]

        def finished():
            return [
                line for line in json_lines() if line["logger"] == "grid.task" and line.get("state")
            ]

        wait_for_progress(
            lambda: (
                len(worker_state.active_requests),
                sum(worker_state.total_count.values()),
                len(finished()),
            ),
            lambda progress: progress[2] >= 1,
            what="the worker to run the tally's task ((running, done, logged))",
        )
    rid = response["X-Request-ID"]
    (done,) = finished()
    # The time it waited on the broker, from the header the publisher added.
    assert REGISTRY.get_sample_value(
        "grid_celery_task_wait_seconds_count",
        {"task": "grids.tasks.refresh_grid_tally", "queue": "celery"},
    )
    assert (done["task"], done["request_id"], done["queue"]) == (
        "grids.tasks.refresh_grid_tally",
        rid,
        "celery",
    )


def test_log_format_json_makes_every_line_a_json_object():
    """The settings' wiring, in a fresh interpreter as an operator starts it."""
    env = {
        **os.environ,
        "DEBUG": "true",
        "LOG_FORMAT": "json",
        "DATABASE_URL": "sqlite:////tmp/grid-logging-test.sqlite3",
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)  # a replica of the embedded database stops start-up
    code = "import logging; logging.getLogger('grid.test').warning('电梯 %s', 'ok')"
    result = run_to_completion(
        [sys.executable, "manage.py", "shell", "-c", code],
        what="manage.py shell with LOG_FORMAT=json",
        env=env,
        cwd=ROOT,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert {"level": "WARNING", "logger": "grid.test", "message": "电梯 ok"}.items() <= lines[
        -1
    ].items()
    assert lines[-1]["request_id"] is None
