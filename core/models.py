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


# The test suite's flush empties every table with one TRUNCATE: the audit log's trigger refuses
# that unless the transaction says it is meant (core/migrations/0004; tests/conftest.py).
ALLOW_AUDIT_TRUNCATE = "SET LOCAL auditlog.allow_truncate = on"


class RetentionPolicy(models.Model):
    """How long the district keeps one kind of record (``core.retention``): set on the
    retention page, never below the kind's legal floor. A kind with no row keeps its default."""

    kind = models.CharField(_("kind of record"), max_length=50, unique=True)
    days = models.PositiveIntegerField(_("kept for (days)"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.days}"


class RetentionRun(models.Model):
    """One nightly pass of ``core.retention.apply``: what each kind removed or anonymised, up
    to which cutoff. The operations page shows the last one."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # {kind key: {"days": kept, "cutoff": ISO time, "count": rows}}
    counts = models.JSONField(_("counts"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention {self.started_at:%Y-%m-%d %H:%M}"
