"""A resident's photo: checked in the request as far as safety needs, kept as it came and
shown to no one, re-encoded by a task after the commit (or by the sweep behind it when the
broker was down), and only then served."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tickets import photos as ticket_photos
from tickets import tasks
from tickets.models import Event, Photo, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path, territory):
    cache.clear()  # the public form's rate limits
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    yield
    cache.clear()


def _phone_photo(name="IMG_0001.jpg", size=(1600, 1200)) -> SimpleUploadedFile:
    """A phone's JPEG with its maker and GPS position in the EXIF block."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[2] = (31.0, 45.0, 0.0)
    gps[4] = (119.0, 57.0, 0.0)
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, "JPEG", exif=exif, quality=95)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _post(client, matter, *photos):
    return client.post(
        reverse("resident_request", kwargs={"code": "G1"}),
        {
            "matter": matter.pk,
            "description": "楼道堆满纸箱，消防通道被堵",
            "reporter_phone": "13812345678",
            "photos": list(photos),
        },
        REMOTE_ADDR="10.0.0.9",
    )


def _stored(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_photo_is_kept_as_it_came_then_re_encoded_without_exif_by_the_task(
    client, matter, settings, django_capture_on_commit_callbacks, dispatcher
):
    upload = _phone_photo()
    assert b"PhoneMaker" in upload.read()
    upload.seek(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, matter, upload)
        assert response.status_code == 302
        photo = Photo.objects.get(ticket=Ticket.objects.get())
        # In the request: checked, kept as it came, not processed.
        assert photo.processed is False
        assert b"PhoneMaker" in photo.image.read()
        photo.image.close()
        original = photo.image.path
    photo.refresh_from_db()
    assert photo.processed is True
    assert photo.image.name.endswith(".jpg") and photo.image.path != original
    data = photo.image.read()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and max(image.size) <= settings.IMAGE_MAX_SIDE
    assert not image.getexif()
    assert [str(p) for p in _stored(settings)] == [photo.image.path]  # the original is gone
    client.force_login(dispatcher)
    assert client.get(reverse("ticket_photo", kwargs={"pk": photo.pk})).status_code == 200


def test_before_it_is_processed_the_photo_is_served_to_no_one(client, matter, dispatcher):
    _post(client, matter, _phone_photo())  # its task is never run here (no commit)
    ticket = Ticket.objects.get()
    photo = Photo.objects.get(ticket=ticket)
    assert not photo.processed
    track = reverse("track_photo", kwargs={"token": ticket.tracking_token, "pk": photo.pk})
    assert client.get(track).status_code == 404
    page = client.get(reverse("ticket_track", kwargs={"token": ticket.tracking_token}))
    assert "Photo being processed" in page.content.decode() and track not in page.content.decode()
    client.force_login(dispatcher)
    assert client.get(reverse("ticket_photo", kwargs={"pk": photo.pk})).status_code == 404
    page = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code}))
    assert "Photo being processed" in page.content.decode()
    assert reverse("ticket_photo", kwargs={"pk": photo.pk}) not in page.content.decode()


def _decompression_bomb() -> SimpleUploadedFile:
    """A small PNG whose header claims 200 million pixels: refused from the header."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 10_000)).save(buffer, "PNG")
    return SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")


def test_a_decompression_bomb_is_refused_with_a_field_error_and_nothing_is_saved(
    client, matter, settings
):
    response = _post(client, matter, _phone_photo("good.jpg"), _decompression_bomb())
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["photos"])
    assert "bomb.png" in errors and "megapixels" in errors
    assert not Ticket.objects.exists() and not Photo.objects.exists()
    assert not Event.objects.exists() and not _stored(settings)


def test_an_oversized_file_is_refused_before_it_is_opened(client, matter, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 200_000
    response = _post(client, matter, _phone_photo("big.jpg", size=(2400, 1800)))
    assert response.status_code == 400
    assert "MB" in " ".join(response.context["form"].errors["photos"])
    assert not Photo.objects.exists() and not _stored(settings)


def test_with_the_broker_down_the_request_is_taken_and_the_sweep_processes_the_photo(
    client, matter, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.process_photo, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, matter, _phone_photo()).status_code == 302
    photo = Photo.objects.get()
    assert not photo.processed
    # Not yet: its own task may still come.
    call_command("process_waiting_photos", stdout=io.StringIO())
    photo.refresh_from_db()
    assert not photo.processed
    with time_machine.travel(timezone.now() + ticket_photos.WAIT + timedelta(seconds=1)):
        out = io.StringIO()
        call_command("process_waiting_photos", stdout=out)
    assert out.getvalue().startswith("1 photos processed")
    photo.refresh_from_db()
    assert photo.processed


def test_processing_twice_changes_nothing(client, matter):
    _post(client, matter, _phone_photo())
    photo = Photo.objects.get()
    assert ticket_photos.process(photo.pk) is True
    photo.refresh_from_db()
    name = photo.image.name
    assert ticket_photos.process(photo.pk) is False
    photo.refresh_from_db()
    assert photo.image.name == name and photo.processed


def test_a_file_broken_past_its_header_is_removed_and_the_request_stays(client, matter):
    _post(client, matter, _phone_photo())
    photo = Photo.objects.get()
    path = photo.image.path
    with open(path, "r+b") as handle:  # keep the header, lose the pixels
        handle.truncate(600)
    assert ticket_photos.process(photo.pk) is False
    assert not Photo.objects.exists() and Ticket.objects.exists()


def test_the_sweep_of_waiting_photos_is_a_periodic_job():
    from governance.celery import app

    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "tickets.tasks.process_waiting_photos" in scheduled
