"""/metrics' figures of the imports (core/metrics.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily, Metric

from onboarding.models import ImportRun


def collect() -> Iterable[Metric]:
    """Import jobs per status, every status present (one query)."""
    counts = ImportRun.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in ImportRun.Status.values}
    )
    family = GaugeMetricFamily("grid_import_runs", "Import jobs by status.", labels=["status"])
    for status, count in counts.items():
        family.add_metric([status], count)
    yield family
