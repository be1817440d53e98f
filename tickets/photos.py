"""A resident's photo, re-encoded after the request was taken.

The public form checks each photo as safety needs (``core.images.check_image``: byte and
pixel caps, format, structure) and keeps it as it came, ``processed = False``: it may still
carry the phone's GPS position, so nothing serves it (``Photo.serve``) and the pages show
"being processed" in its place. ``process`` re-encodes it (``core.images.reencode``) and
marks it processed; ``tickets.tasks.process_photo`` runs it once the request commits, and
``process_waiting`` (every two minutes, and ``manage.py process_waiting_photos``) picks up
any photo whose task was never sent or never finished (a broker down, a worker killed).
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.images import reencode
from tickets.models import Photo

logger = logging.getLogger(__name__)

# A photo is the task's for this long after it was kept; after that the sweep takes it.
WAIT = dt.timedelta(minutes=2)
BATCH = 200


def process(photo_id: int) -> bool:
    """Re-encode one photo that is not processed yet; True when this call did it. Nothing
    happens to a photo already processed, deleted, or being processed by another worker
    (its row is locked): a duplicated or retried task changes nothing."""
    with transaction.atomic():
        photo = (
            Photo.objects.select_for_update(skip_locked=True)
            .filter(pk=photo_id, processed=False)
            .first()
        )
        if photo is None:
            return False
        original = photo.image.name
        storage = photo.image.storage
        try:
            with storage.open(original, "rb") as handle:
                raw = io.BytesIO(handle.read())
            clean = reencode(raw)
        except (FileNotFoundError, ValidationError) as error:
            # Nothing that could ever be shown (the file is gone, or broken past its
            # header): the photo goes, the request stays.
            logger.warning("photo %s could not be processed and is removed: %s", photo_id, error)
            photo.delete()
            transaction.on_commit(lambda: storage.delete(original))
            return False
        photo.image.save(clean.name, clean, save=False)
        photo.processed = True
        photo.save(update_fields=["image", "processed"])
        # The original (with its metadata) goes once the clean copy is the one on record.
        transaction.on_commit(lambda: storage.delete(original))
    return True


def waiting(now: dt.datetime | None = None):
    """Photos kept more than ``WAIT`` ago and still not processed, oldest first."""
    now = now or timezone.now()
    return Photo.objects.filter(processed=False, created_at__lt=now - WAIT).order_by(
        "created_at", "pk"
    )


def process_waiting(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Process the photos whose task has not (``waiting``), up to ``batch`` of them; how many
    this run processed."""
    done = 0
    for photo_id in list(waiting(now).values_list("pk", flat=True)[:batch]):
        done += process(photo_id)
    return done


# --- Tasks (thin: an id, or nothing; the functions above re-check the database) -------------


@shared_task(name="tickets.tasks.process_photo", ignore_result=True)
def process_photo(photo_id: int) -> None:
    """Re-encode one photo a resident sent (idempotent: a processed photo is left alone)."""
    process(photo_id)


@shared_task(name="tickets.tasks.process_waiting_photos", ignore_result=True)
def process_waiting_photos() -> None:
    """Photos whose task was never sent or never finished (a broker or worker down)."""
    process_waiting()
