"""/metrics' figures of the messages going out (core/metrics.py)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from notifications import delivery


def collect() -> Iterable[Metric]:
    """Deliveries per state (one query) and the backlog's age (two)."""
    states = GaugeMetricFamily(
        "grid_deliveries", "Deliveries (messages on one channel) by state.", labels=["state"]
    )
    for state, count in delivery.counts().items():
        states.add_metric([state], count)
    yield states
    oldest = delivery.backlog()["oldest_due_seconds"]
    yield GaugeMetricFamily(
        "grid_delivery_oldest_due_seconds",
        "How long the oldest delivery due to be sent has waited; 0 when none is due.",
        value=oldest or 0.0,
    )
