"""A resident who moved out or died keeps name, gender and relationship in the household's
history; their ID, mobile, date of birth and care categories go after the district's period
(core.retention, issue 26)."""

import datetime as dt

import pytest
from django.utils import timezone

from core import retention
from grids.models import CareCategory, Resident, ResidentCare
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _gone(household, status=Resident.Status.MOVED_OUT):
    resident = ResidentFactory(
        household=household, birth_date=dt.date(1950, 5, 1), gender="female", status=status
    )
    ResidentCare.objects.create(resident=resident, category=CareCategory.ELDERLY_ALONE)
    return resident


@pytest.mark.parametrize("status", [Resident.Status.MOVED_OUT, Resident.Status.DECEASED])
def test_a_resident_who_left_loses_personal_details_after_a_year(time_machine, household, status):
    gone = _gone(household, status)
    living = ResidentFactory(household=household, birth_date=dt.date(1980, 1, 1))
    ResidentCare.objects.create(resident=living, category=CareCategory.DISABLED)

    time_machine.move_to(timezone.now() + 364 * DAY, tick=False)
    assert retention.apply().counts["grids.residents_gone"]["count"] == 0

    time_machine.move_to(timezone.now() + 2 * DAY, tick=False)
    assert retention.apply().counts["grids.residents_gone"]["count"] == 1
    gone.refresh_from_db()
    assert (gone.id_number, gone.phone, gone.birth_date) == ("", "", None)
    assert (gone.name, gone.gender, gone.status) == (gone.name, "female", status)
    assert not ResidentCare.objects.filter(resident=gone).exists()
    # Everyone else keeps theirs.
    living.refresh_from_db()
    assert living.id_number and living.phone and living.birth_date
    assert ResidentCare.objects.filter(resident=living).exists()
    assert retention.apply().counts["grids.residents_gone"]["count"] == 0


def test_the_period_counts_from_the_last_change(time_machine, household):
    gone = _gone(household)
    time_machine.move_to(timezone.now() + 200 * DAY, tick=False)
    gone.name = gone.name + "（已迁出）"
    gone.save()
    time_machine.move_to(timezone.now() + 200 * DAY, tick=False)
    assert retention.apply().counts["grids.residents_gone"]["count"] == 0


def test_the_audit_trail_records_each_care_category_that_went(time_machine, household):
    from auditlog.models import LogEntry

    gone = _gone(household)
    time_machine.move_to(timezone.now() + 400 * DAY, tick=False)
    retention.apply()
    assert LogEntry.objects.filter(
        content_type__model="residentcare", action=LogEntry.Action.DELETE
    ).exists()
    assert Resident.objects.get(pk=gone.pk).version == gone.version + 1
