import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safety import services
from safety.models import ChecklistItem, Hazard, Patrol, PatrolPlan, intervals
from safety.services import Answer, record_patrol
from tests.safety.fixtures import answers_for
from visits.models import Place, PlaceKind

pytestmark = pytest.mark.django_db


def test_a_patrol_answers_every_item_and_a_failure_becomes_a_hazard(safety_patrol, place):
    items = ChecklistItem.objects.filter(place_kind=place.kind, active=True).count()
    assert safety_patrol.answers.count() == items
    assert (safety_patrol.passed, safety_patrol.failed) == (items - 1, 1)
    hazard = Hazard.objects.get()
    assert hazard.status == Hazard.Status.OPEN
    assert hazard.severity == "normal"
    assert hazard.fix_by == timezone.localdate() + dt.timedelta(days=7)
    assert hazard.next_check_at == services.deadline_moment(hazard.fix_by)
    assert hazard.masked_phone() == "139****5678"
    assert hazard.ticket is None
    place.refresh_from_db()
    assert place.last_visited_at == safety_patrol.at


def test_every_item_must_be_answered_and_a_failure_explained(safety_checklists, place, own_worker):
    answers = answers_for(place)
    with pytest.raises(ValidationError):
        record_patrol(by=own_worker, place=place, answers=answers[1:])
    answers[0] = Answer(item_id=answers[0].item_id, passed=False, note="")
    with pytest.raises(ValidationError) as error:
        record_patrol(by=own_worker, place=place, answers=answers)
    assert len(error.value.messages) == 2  # a note, and the photo this item asks for
    assert not Patrol.objects.exists()


def test_only_the_grids_team_patrols(safety_checklists, place, neighbour_worker, street_officer):
    for user in (neighbour_worker, street_officer):
        with pytest.raises(PermissionDenied):
            record_patrol(by=user, place=place, answers=answers_for(place))


def test_a_major_failure_goes_to_the_emergency_bureau_as_a_request(
    safety_checklists, territory, own_worker
):
    from core.models import CalendarDay
    from tickets.catalogue import fill_defaults
    from tickets.models import Category, Department, Matter

    fill_defaults(Department, Category, Matter, CalendarDay)  # a flush may have emptied it
    shop = Place.objects.create(grid=territory.grid, name="饭店", kind=PlaceKind.SHOP)
    major = ChecklistItem.objects.filter(place_kind="shop", major=True).first()
    record_patrol(by=own_worker, place=shop, answers=answers_for(shop, failed={major.pk}))
    hazard = Hazard.objects.get()
    assert hazard.severity == "major"
    assert hazard.fix_by == timezone.localdate() + dt.timedelta(days=1)
    assert hazard.ticket.department.code == "emergency"
    assert hazard.ticket.matter.code == "major_hazard"  # not some other safety matter
    assert hazard.ticket.area == territory.grid


def test_fixed_then_rechecked_closes(safety_hazard, own_worker):
    services.mark_fixed(by=own_worker, hazard=safety_hazard, note="已更换")
    safety_hazard.refresh_from_db()
    assert safety_hazard.status == Hazard.Status.FIXED
    assert safety_hazard.next_check_at is None
    with pytest.raises(ValidationError):
        services.mark_fixed(by=own_worker, hazard=safety_hazard, note="again")
    services.recheck(by=own_worker, hazard=safety_hazard, passed=True)
    safety_hazard.refresh_from_db()
    assert safety_hazard.status == Hazard.Status.CLOSED
    assert safety_hazard.rechecked_by == own_worker


def test_a_failed_recheck_opens_a_new_round(safety_hazard, street_officer):
    new = timezone.localdate() + dt.timedelta(days=3)
    services.recheck(by=street_officer, hazard=safety_hazard, passed=False, fix_by=new)
    safety_hazard.refresh_from_db()
    assert (safety_hazard.status, safety_hazard.fix_by, safety_hazard.round) == ("open", new, 2)
    with pytest.raises(ValidationError):
        services.recheck(
            by=street_officer,
            hazard=safety_hazard,
            passed=False,
            fix_by=timezone.localdate() - dt.timedelta(days=1),
        )


def test_the_district_reads_but_does_not_act(safety_hazard, district_officer, neighbour_worker):
    for user in (district_officer, neighbour_worker):
        with pytest.raises(PermissionDenied):
            services.mark_fixed(by=user, hazard=safety_hazard, note="x")


def test_overdue_is_past_the_fix_by_day(safety_hazard):
    assert not safety_hazard.is_overdue()
    assert safety_hazard.is_overdue(safety_hazard.fix_by + dt.timedelta(days=1))
    later = safety_hazard.fix_by + dt.timedelta(days=1)
    assert list(Hazard.objects.overdue(later)) == [safety_hazard]


def test_the_district_sets_the_intervals(safety_checklists):
    PatrolPlan.objects.filter(place_kind="shop").update(interval_days=14)
    assert intervals()["shop"] == 14


def test_a_patrol_recorded_later_keeps_the_latest_date(safety_checklists, place, own_worker):
    now = timezone.now()
    record_patrol(by=own_worker, place=place, answers=answers_for(place), at=now)
    with time_machine.travel(now + dt.timedelta(hours=1)):
        record_patrol(
            by=own_worker, place=place, answers=answers_for(place), at=now - dt.timedelta(days=1)
        )
    place.refresh_from_db()
    assert place.last_visited_at == now
