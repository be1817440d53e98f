"""A finished request loses its reporter's name and mobile after the district's period, and
its photos after theirs; open requests keep both (core.retention, issue 26)."""

import datetime as dt

import pytest
from django.utils import timezone

from core import retention
from tickets.models import Photo, Status, Ticket

pytestmark = pytest.mark.django_db

DAYS = dt.timedelta(days=1)


def _close(ticket, at=None):
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, closed_at=at or timezone.now())


def test_a_closed_request_forgets_its_reporter_after_two_years(time_machine, ticket):
    _close(ticket)
    time_machine.move_to(timezone.now() + 2 * 365 * DAYS - DAYS, tick=False)
    assert retention.apply().counts["tickets.reporter"]["count"] == 0

    time_machine.move_to(timezone.now() + 2 * DAYS, tick=False)
    assert retention.apply().counts["tickets.reporter"]["count"] == 1
    ticket.refresh_from_db()
    assert (ticket.reporter_name, ticket.reporter_phone) == ("", "")
    assert ticket.description and ticket.status == Status.CLOSED
    assert retention.apply().counts["tickets.reporter"]["count"] == 0


def test_an_open_request_keeps_its_reporter_however_old(time_machine, ticket):
    time_machine.move_to(timezone.now() + 10 * 365 * DAYS, tick=False)
    retention.apply()
    ticket.refresh_from_db()
    assert ticket.reporter_phone == "13812345678"


def test_a_form_opened_before_the_purge_cannot_write_the_number_back(ticket):
    _close(ticket, timezone.now() - 3 * 365 * DAYS)
    version = Ticket.objects.get(pk=ticket.pk).version
    retention.apply()
    assert Ticket.objects.get(pk=ticket.pk).version == version + 1


def test_a_finished_request_s_photos_go_after_three_years(
    time_machine, django_capture_on_commit_callbacks, ticket_with_photo
):
    photo = ticket_with_photo.photos.get()
    storage, name = photo.image.storage, photo.image.name
    _close(ticket_with_photo)
    time_machine.move_to(timezone.now() + 3 * 365 * DAYS + DAYS, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.apply().counts["tickets.photos"]["count"] == 1
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not storage.exists(name)
