"""The demo district's stations make every figure non-trivial."""

import pytest

from grids.models import Area
from stations.models import Activity, Inspection, Kind, MonthlyServed, Station, StationPhoto
from stations.selectors import coverage

pytestmark = pytest.mark.django_db


def test_the_demo_has_stations_of_every_kind_and_partial_coverage(demo):
    kinds = set(Station.objects.values_list("kind", flat=True))
    assert {Kind.CENTRE, Kind.GRID_STATION, Kind.RIDER_STOP} <= kinds
    communities = Area.objects.filter(level__in=["community", "village"]).count()
    assert Station.objects.filter(kind=Kind.CENTRE).count() == communities
    assert Inspection.objects.filter(passed=False).exists()
    assert Inspection.objects.filter(passed=True).exists()
    assert Activity.objects.exists() and MonthlyServed.objects.exists()
    assert StationPhoto.objects.filter(station__code="QH-S01-C01-ZX").count() == 2
    assert Station.objects.filter(code="QH-S01-C01-G01-ZD", is_open=True).exists()
    for station in Station.objects.select_related("area"):
        station.full_clean()  # every demo station obeys the rules
    report = coverage(Area.objects.get(code="QH"))
    assert 0.5 < report.total.station_share < 1
    assert 0.4 < report.total.standard_share < 1
    assert 0.5 < report.circle.share < 1
    assert report.grids_without and report.grids_outside
