"""Systems that file tickets through the API (tickets/api.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.concurrency import Versioned
from grids.models import Area


class ApiClient(Versioned):
    """A system allowed to create tickets through the API (a sensor platform, 12345).

    Only the SHA-256 of its token is kept: the token is shown once, when issued
    (tickets/api_clients.py), and never again.

    Its callback (tickets/callbacks.py): where we POST each public status change of the
    requests it filed, signed with ``callback_secret``. Unlike the token, the secret itself is
    kept (we sign with it); it too is shown once, when issued, and the audit log records only
    that it changed (its last characters, ``callback_secret_hint``)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=6, editable=False)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("area"),
        help_text=_("The area whose grids this system may report into."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    callback_url = models.URLField(
        _("callback URL"),
        max_length=500,
        blank=True,
        help_text=_("Where each public status change of its requests is sent (https)."),
    )
    callback_secret = models.CharField(max_length=64, blank=True, editable=False)
    callback_secret_hint = models.CharField(
        _("signing secret ends with"), max_length=6, blank=True, editable=False
    )
    # Set by tickets.api.authenticate, at most once a minute per client.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name
