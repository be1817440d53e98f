"""Visit photos are removed once the district's period has passed since the visit; the visit
and its notes stay (core.retention, issue 26)."""

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from core import retention
from core.models import RetentionPolicy
from tests.factories import jpeg
from visits import services as visits
from visits.models import Visit, VisitKind, VisitPhoto

pytestmark = pytest.mark.django_db(transaction=True)


def _visit_with_photo(by, household):
    return visits.log_visit(
        by=by,
        client_id=uuid.uuid4(),
        kind=VisitKind.ROUTINE,
        household=household,
        findings="老人身体好",
        photos=[jpeg()],
    ).visit


def test_a_visit_s_photos_go_after_three_years_and_the_visit_stays(
    time_machine, own_worker, household
):
    visit = _visit_with_photo(own_worker, household)
    photo = VisitPhoto.objects.get(visit=visit)
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)

    time_machine.move_to(timezone.now() + dt.timedelta(days=3 * 365 - 1), tick=False)
    assert retention.apply().counts["visits.photos"]["count"] == 0
    assert VisitPhoto.objects.filter(pk=photo.pk).exists()

    time_machine.move_to(timezone.now() + dt.timedelta(days=2), tick=False)
    assert retention.apply().counts["visits.photos"]["count"] == 1
    assert not VisitPhoto.objects.filter(pk=photo.pk).exists()
    assert not storage.exists(name)  # the file went with the row, once committed
    assert Visit.objects.get(pk=visit.pk).findings == "老人身体好"
    assert retention.apply().counts["visits.photos"]["count"] == 0


def test_a_shorter_period_set_by_the_district_applies(time_machine, own_worker, household):
    _visit_with_photo(own_worker, household)
    RetentionPolicy.objects.create(kind="visits.photos", days=400)
    time_machine.move_to(timezone.now() + dt.timedelta(days=401), tick=False)
    assert retention.apply().counts["visits.photos"]["count"] == 1


def test_a_rolled_back_batch_keeps_its_files(own_worker, household):
    visit = _visit_with_photo(own_worker, household)
    photo = VisitPhoto.objects.get(visit=visit)
    storage, name = photo.image.storage, photo.image.name
    with transaction.atomic():
        retention.delete_photos(VisitPhoto.objects.filter(pk=photo.pk))
        transaction.set_rollback(True)
    assert storage.exists(name) and VisitPhoto.objects.filter(pk=photo.pk).exists()
