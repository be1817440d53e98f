"""The sign-in history is kept for the district's period, six months at least; the daily
purge job reads the same period (core.retention, issue 26)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.signin_models import SignIn
from accounts.tasks import purge_signins
from core import retention
from core.models import RetentionPolicy

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _signin(user, at):
    return SignIn.objects.create(user=user, at=at, result=SignIn.Result.SUCCESS)


def test_sign_ins_go_after_the_period(time_machine, own_worker):
    kept = _signin(own_worker, timezone.now())
    time_machine.move_to(timezone.now() + 181 * DAY, tick=False)
    recent = _signin(own_worker, timezone.now())
    assert retention.apply().counts["accounts.signins"]["count"] == 1
    assert list(SignIn.objects.all()) == [recent]
    assert not SignIn.objects.filter(pk=kept.pk).exists()


def test_the_daily_job_keeps_the_longer_period_the_district_chose(time_machine, own_worker):
    RetentionPolicy.objects.create(kind="accounts.signins", days=365)
    first = _signin(own_worker, timezone.now())
    time_machine.move_to(timezone.now() + 300 * DAY, tick=False)
    purge_signins.delay()
    assert SignIn.objects.filter(pk=first.pk).exists()
