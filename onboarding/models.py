"""Every import, kept: who loaded which file (its hash) into which area, and what it did.

An ``ImportRun`` is both the job the page follows (its status and progress) and the audit
record of the import; it is never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.images import private_storage
from grids.models import Area
from grids.scope import path_q, scope_paths


def import_path(instance, filename: str) -> str:
    return f"imports/{instance.created_at:%Y/%m}/{instance.file_sha256[:16]}-{filename[-80:]}"


def report_path(instance, filename: str) -> str:
    return f"imports/reports/{instance.pk}-{filename}"


class ImportRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        from grids.policy import TerritoryCapability

        return self.filter(path_q(scope_paths(user, TerritoryCapability.IMPORT_DATA), "area__path"))


class ImportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Has problems")
        READY = "ready", _("Checked, ready to import")
        CONFIRMED = "confirmed", _("Waiting to be written")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Could not be read")

    kind = models.CharField(_("kind"), max_length=20)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="imports", verbose_name=_("area")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"))
    file = models.FileField(
        _("file"), storage=private_storage, upload_to=import_path, max_length=200
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"))
    options = models.JSONField(_("options"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    tallies = models.JSONField(_("what it does"), default=dict, blank=True)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(_("first problems"), default=list, blank=True)
    report = models.FileField(
        _("report"), storage=private_storage, upload_to=report_path, blank=True, max_length=200
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("imported"), null=True, blank=True)
    seconds = models.FloatField(_("seconds taken"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.get_status_display()})"

    @property
    def busy(self) -> bool:
        S = self.Status
        return self.status in (S.QUEUED, S.CHECKING, S.CONFIRMED, S.WRITING)

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


class ExportRecord(models.Model):
    """A file of data handed out for re-import; with full personal values, an audit of who."""

    kind = models.CharField(_("kind"), max_length=20)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    at = models.DateTimeField(_("exported"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    full_personal = models.BooleanField(_("with full ID and mobile numbers"), default=False)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("export for re-import")
        verbose_name_plural = _("exports for re-import")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
