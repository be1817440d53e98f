"""Who signed in as a user, from where, and which of their sessions are open
(accounts/signins.py writes them; imported by accounts/models.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.devices import describe

USER_AGENT_LENGTH = 300


class SignIn(models.Model):
    """A sign-in or a refused attempt at a user's account. Repeated refusals from one
    address close together are one row with a count (``attempts``), so someone hammering
    the form cannot flood the table."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Signed in")
        FAILED = "failed", _("Wrong password")
        LOCKED = "locked", _("Refused: locked out")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signins",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("time"), db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=USER_AGENT_LENGTH, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="signin_user_latest")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.result} {self.at:%Y-%m-%d %H:%M}"

    @property
    def device(self) -> str:
        return describe(self.user_agent)

    @property
    def succeeded(self) -> bool:
        return self.result == self.Result.SUCCESS


class UserSession(models.Model):
    """One open session of a user: its key (never shown), the device and when it was last
    used. Written at sign-in, refreshed at most every ``SEEN_EVERY`` (accounts/signins.py),
    removed at sign-out; the periodic purge drops rows whose session has expired."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="open_sessions",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=USER_AGENT_LENGTH, blank=True)
    started_at = models.DateTimeField(_("signed in"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("open session")
        verbose_name_plural = _("open sessions")
        ordering = ["-last_seen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device}"

    @property
    def device(self) -> str:
        return describe(self.user_agent)
