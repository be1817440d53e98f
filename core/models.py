import uuid

from django.db import models
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import private_storage, serve_private


class Heartbeat(models.Model):
    """When a periodic signal last arrived; /healthz reads the beat tick from here.

    Kept in the database, not the cache: the web server and the worker share no
    cache on the embedded default.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a public holiday on a weekday, or a weekend working day
    (调休). Seeded for 2024–2026 from the State Council notices; district staff add next year's
    on the calendar page (tickets/calendar.py). core/workdays.py counts working days with it."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=50, blank=True)

    class Meta:
        db_table = "tickets_calendarday"  # where the tickets app, its first user, created it
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'holiday'}"


def photo_path(instance, filename: str) -> str:
    """``<folder>/YYYY/MM/<name>``: the name is random already (``core.images``); the folder is
    the model's ``photo_folder`` (its model name if it has none) and the month spreads files."""
    folder = getattr(instance, "photo_folder", "") or instance._meta.model_name
    return f"{folder}/{timezone.now():%Y/%m}/{filename or uuid.uuid4().hex}"


class PrivatePhoto(models.Model):
    """A photo kept in private storage, never under a public URL: a view that checks access
    serves it (``serve``). Uploads are cleaned first (``core.images.clean_photos``: verified,
    capped, turned upright, re-encoded without their EXIF location, randomly named)."""

    photo_folder = ""

    image = models.ImageField(_("photo"), storage=private_storage, upload_to=photo_path)

    class Meta:
        abstract = True

    def serve(self, *, public: bool = False) -> FileResponse:
        return serve_private(self.image, public=public)
