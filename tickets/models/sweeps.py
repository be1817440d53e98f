"""The record of the deadline sweep's runs (tickets/sweep.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SweepRun(models.Model):
    """What one deadline sweep did (the operations page and /healthz read the latest)."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    claimed = models.PositiveIntegerField(_("requests looked at"), default=0)
    notifications = models.PositiveIntegerField(_("notifications written"), default=0)
    escalations = models.PositiveIntegerField(_("escalations"), default=0)
    closed = models.PositiveIntegerField(_("closed unrated"), default=0)

    class Meta:
        verbose_name = _("deadline sweep")
        verbose_name_plural = _("deadline sweeps")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="sweep_latest")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.duration_ms} ms"
