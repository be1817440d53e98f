"""What each community decides for itself about its requests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.scope import ScopedQuerySet


class CommunityRulesQuerySet(ScopedQuerySet):
    area_path = "community__path"


class CommunityRules(models.Model):
    """A community's choices about its requests; a community without a row keeps the
    defaults (only its grid leaders and its own staff accept new requests)."""

    community = models.OneToOneField(
        "grids.Area",
        on_delete=models.CASCADE,
        related_name="ticket_rules",
        verbose_name=_("community"),
    )
    grid_workers_accept = models.BooleanField(
        _("grid workers may accept new requests"),
        default=False,
        help_text=_(
            "When on, the full-time grid workers of this community's grids accept (受理) new "
            "requests in their grid, as the grid leader does."
        ),
    )

    objects = CommunityRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("community rules for requests")
        verbose_name_plural = _("community rules for requests")

    def __str__(self) -> str:
        return str(self.community)
