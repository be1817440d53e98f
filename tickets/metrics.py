"""/metrics' figures of the deadline sweep (core/metrics.py): how far behind it is."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from tickets import sweep
from tickets.models import SweepRun


def collect() -> Iterable[Metric]:
    """Three index probes: the earliest point due on a request and on a summoned department,
    and the last sweep's start."""
    now = timezone.now()
    oldest = sweep.oldest_due(now)
    lag = GaugeMetricFamily(
        "grid_sweep_lag_seconds",
        "Age of the oldest point (reminder, deadline, escalation) due and not yet swept; "
        "0 when nothing is due.",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
    yield lag
    last = SweepRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if last is not None:
        yield GaugeMetricFamily(
            "grid_sweep_last_run_age_seconds",
            "Seconds since the last deadline sweep started.",
            value=(now - last).total_seconds(),
        )
