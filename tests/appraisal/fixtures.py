"""Appraisal fixtures: a known scheme, and a month of work by the own worker of G1."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from appraisal.models import Figure, SchemeItem

MONTH = dt.date(2026, 11, 1)


def at(day: int, month: dt.date = MONTH, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(month.year, month.month, day, hour))


@pytest.fixture
def scheme(db):
    """100 points: visits 30 (full at 90 %), care visits 10 (at 8), field reports 15 (at 5),
    on time 15, satisfaction 10 (at 5), the supervisor's assessment 20 (manual)."""
    SchemeItem.objects.all().delete()
    rows = [
        ("visits", Figure.VISITS_SHARE, 30, "0.9"),
        ("care", Figure.CARE_VISITS, 10, "8"),
        ("field", Figure.FIELD_REQUESTS, 15, "5"),
        ("on_time", Figure.ON_TIME_SHARE, 15, "1"),
        ("rating", Figure.RATING, 10, "5"),
        ("assessment", Figure.MANUAL, 20, "1"),
    ]
    return [
        SchemeItem.objects.create(
            code=code,
            valid_from=dt.date(2026, 1, 1),
            name_en=code,
            name_zh=code,
            figure=figure,
            weight=weight,
            full_marks_at=Decimal(full),
            position=i,
        )
        for i, (code, figure, weight, full) in enumerate(rows)
    ]


def visit(worker, household, when, kind="routine"):
    from visits.models import Visit

    return Visit.objects.create(
        client_id=uuid.uuid4(),
        grid=household.grid,
        household=household,
        by=worker,
        kind=kind,
        visited_at=when,
    )


@pytest.fixture
def scorecard(territory, own_worker, scheme):
    """A draft card of the own worker for MONTH (nothing done)."""
    from appraisal import services
    from appraisal.models import Scorecard

    services.compute_month(area=territory.street, month=MONTH)
    return Scorecard.objects.current().get(worker=own_worker, month=MONTH)


@pytest.fixture
def published_scorecard(scorecard, territory, street_officer):
    """The own worker's card for MONTH, published by the street."""
    from appraisal import services

    services.publish_month(by=street_officer, area=territory.street, month=MONTH)
    scorecard.refresh_from_db()
    return scorecard


@pytest.fixture
def promotion(territory, own_worker):
    """An open proposal: the own worker, without a grade yet, to the first full-time grade."""
    from appraisal.demo import load_defaults
    from appraisal.ladder import Grade, Promotion, Track

    load_defaults()
    return Promotion.objects.create(
        worker=own_worker,
        grid=territory.grid,
        to_grade=Grade.objects.get(track=Track.FULL_TIME, level=1),
        months=0,
        years=Decimal("0.0"),
    )
