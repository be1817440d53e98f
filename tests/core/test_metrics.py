"""/metrics: refused to anyone but the scraper, and what it reports: each request's latency
by view, errors, the figures read at scrape time (deliveries, queues, the sweep's lag), and a
scrape that still answers with Redis down."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os

import pytest
from django.urls import path, reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from governance.celery import app
from governance.urls import urlpatterns as site_urlpatterns
from tests.broker import publishing_to
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:6390/0"  # nothing listens here: Redis "down"


def _boom(request):
    raise RuntimeError("a bug in a view")


# This module is also the URLconf of the error test: the site plus a view that raises.
urlpatterns = [path("boom", _boom, name="boom"), *site_urlpatterns]


def _samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200, response.content[:300]
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_is_404_from_another_address_and_200_from_the_scraper(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    # Through the proxy a public request may arrive from 127.0.0.1: still refused.
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    ).status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_metrics_is_allowed_from_anywhere_with_the_bearer_token_only(client, settings):
    settings.METRICS_TOKEN = "scrape-token-2026"
    outside = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client.get("/metrics", **outside).status_code == 404
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **outside)
    assert wrong.status_code == 404
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-2026", **outside)
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain")


def test_a_request_counts_in_the_latency_histogram_of_its_view_name(client):
    labels = {"view": "readyz", "method": "GET", "status": "2xx"}
    before = _value("grid_http_request_duration_seconds_count", **labels)
    db_before = _value("grid_http_db_duration_seconds_count", view="readyz")
    assert client.get("/readyz").status_code == 200
    assert _value("grid_http_request_duration_seconds_count", **labels) == before + 1
    assert _value("grid_http_db_duration_seconds_count", view="readyz") == db_before + 1
    # Exported under the view's name, never the path.
    samples = _samples(client.get("/metrics"))
    names = {dict(key[1]).get("view") for key in samples if key[0].startswith("grid_http")}
    assert "readyz" in names
    assert not any(name and name.startswith("/") for name in names)


def test_a_page_s_database_time_is_measured(client, own_worker):
    client.force_login(own_worker)
    before = _value("grid_http_db_queries_sum", view="my_visits")
    assert client.get(reverse("my_visits")).status_code == 200
    assert _value("grid_http_db_queries_sum", view="my_visits") > before
    assert _value("grid_http_db_duration_seconds_sum", view="my_visits") > 0


@pytest.mark.redis
def test_a_page_s_cache_time_is_measured(client, own_worker, shared_cache):
    client.force_login(own_worker)
    before = _value("grid_http_cache_duration_seconds_sum", view="my_visits")
    assert client.get(reverse("my_visits")).status_code == 200
    assert _value("grid_http_cache_duration_seconds_sum", view="my_visits") > before


@pytest.mark.urls("tests.core.test_metrics")
def test_a_view_that_raises_counts_as_an_error_of_that_view(client):
    client.raise_request_exception = False
    before = _value("grid_http_errors_total", view="boom", cause="exception")
    assert client.get("/boom").status_code == 500
    assert _value("grid_http_errors_total", view="boom", cause="exception") == before + 1
    assert _value(
        "grid_http_request_duration_seconds_count", view="boom", method="GET", status="5xx"
    )


def test_the_scrape_reports_deliveries_by_state_and_imports(client, failed_delivery):
    samples = _samples(client.get("/metrics"))
    assert samples[("grid_deliveries", (("state", "failed"),))] == 1
    assert samples[("grid_deliveries", (("state", "sent"),))] == 0
    assert samples[("grid_import_runs", (("status", "queued"),))] == 0
    assert samples[("grid_scrape_errors", (("collector", "deliveries"),))] == 0


def test_the_scrape_reports_the_age_of_the_oldest_point_not_yet_swept(client, ticket):
    samples = _samples(client.get("/metrics"))
    assert samples[("grid_sweep_lag_seconds", ())] == 0  # the request's first point is ahead
    Ticket.objects.filter(pk=ticket.pk).update(
        next_check_at=timezone.now() - dt.timedelta(minutes=5)
    )
    lag = _samples(client.get("/metrics"))[("grid_sweep_lag_seconds", ())]
    assert 300 <= lag < 360


@pytest.mark.redis
def test_the_scrape_reports_the_depth_of_each_queue(client):
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    with publishing_to(url):
        imports = ("grid_celery_queue_depth", (("queue", "imports"),))
        before = _samples(client.get("/metrics"))[imports]
        app.send_task("onboarding.tasks.check_import", args=[0], queue="imports")
        try:
            samples = _samples(client.get("/metrics"))
        finally:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge("imports")
    assert samples[imports] == before + 1
    assert ("grid_celery_queue_depth", (("queue", "deliveries"),)) in samples
    assert samples[("grid_scrape_errors", (("collector", "queues"),))] == 0


@pytest.mark.redis
def test_the_scrape_answers_with_redis_down_and_says_what_it_could_not_read(
    client, failed_delivery
):
    with publishing_to(CLOSED):
        samples = _samples(client.get("/metrics"))
    assert samples[("grid_scrape_errors", (("collector", "queues"),))] == 1
    assert not any(name == "grid_celery_queue_depth" for name, _ in samples)
    # What the database holds is still there.
    assert samples[("grid_deliveries", (("state", "failed"),))] == 1
    assert samples[("grid_scrape_errors", (("collector", "sweep"),))] == 0


@app.task(name="tests.core.test_metrics.fail")
def _fail():
    raise ValueError("a task that fails")


def test_a_task_that_raises_counts_as_a_failure_of_its_task_and_queue():
    labels = {"task": "tests.core.test_metrics.fail", "queue": "celery"}
    before = _value("grid_celery_task_failures_total", **labels)
    # Not thrown back at the caller, as in a worker (propagating skips the failure handling).
    assert _fail.apply_async(throw=False).state == "FAILURE"
    assert _value("grid_celery_task_failures_total", **labels) == before + 1
    assert _value("grid_celery_task_duration_seconds_count", state="FAILURE", **labels)


def test_the_operations_page_links_to_what_watches_the_node(client, district_officer, settings):
    client.force_login(district_officer)
    settings.GRAFANA_URL = ""
    outside = client.get(reverse("operations"), REMOTE_ADDR="203.0.113.7").content.decode()
    assert 'href="/healthz"' in outside and 'href="/readyz"' in outside
    # Neither a link /metrics would refuse, nor a dashboard that is not set up.
    assert 'href="/metrics"' not in outside and "Grafana" not in outside
    settings.GRAFANA_URL = "https://grafana.example.gov.cn/d/grid-governance"
    inside = client.get(reverse("operations"), REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'href="/metrics"' in inside
    assert 'href="https://grafana.example.gov.cn/d/grid-governance"' in inside


@pytest.mark.redis
def test_every_metric_the_grafana_dashboard_plots_is_exported(client):
    """deploy/grafana/grid-governance.json: a renamed metric would leave a panel empty."""
    import json
    import re
    from pathlib import Path

    from tickets.models import SweepRun

    SweepRun.objects.create()
    dashboard = Path(__file__).resolve().parents[2] / "deploy/grafana/grid-governance.json"
    plotted = set()
    for panel in json.loads(dashboard.read_text())["panels"]:
        for target in panel["targets"]:
            plotted |= set(re.findall(r"\bgrid_[a-z_]+", target["expr"]))
    with publishing_to(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")):
        text = client.get("/metrics").content.decode()
    exported = set(re.findall(r"^# TYPE (grid_[a-z_]+) (\w+)", text, re.M))
    names = set()
    for name, kind in exported:
        names.add(name)
        suffixes = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("_total",)}
        names |= {name + suffix for suffix in suffixes.get(kind, ())}
    assert plotted and plotted <= names, sorted(plotted - names)
