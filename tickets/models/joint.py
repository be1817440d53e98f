"""Joint actions (联合执法 / 联合处置): departments summoned by a street or community turn out
together on a day, at a place, and record what they did; one action may settle several
requests. Recorded through tickets/joint.py, which also writes a line on each linked request's
timeline; the street's league table of departments counts the actions each attended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import PrivatePhoto
from grids.policy import TerritoryCapability
from grids.scope import ScopedQuerySet, path_q, scope_paths
from tickets.models.catalogue import Department
from tickets.models.workflow import Ticket


class JointActionQuerySet(ScopedQuerySet):
    """In the user's areas (``ScopedQuerySet``); and, so that a request's page never links to
    a page its reader cannot open, the actions of the requests the user sees (a grid worker
    sees the community's action on their grid's request)."""

    area_path = "area__path"

    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        linked = JointAction.tickets.through.objects.filter(
            jointaction_id=OuterRef("pk"),
            ticket__in=Ticket.objects.visible_to(user, capability),
        )
        return self.filter(
            path_q(scope_paths(user, capability), self.area_path) | Q(Exists(linked))
        )


class JointAction(models.Model):
    """One joint action: where and when, who turned out, what came of it, which requests."""

    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="joint_actions",
        verbose_name=_("street or community"),
    )
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    departments = models.ManyToManyField(
        Department, related_name="joint_actions", verbose_name=_("departments present")
    )
    outcome = models.TextField(_("outcome"), max_length=2000)
    tickets = models.ManyToManyField(
        Ticket, related_name="joint_actions", verbose_name=_("requests")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = JointActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint action")
        verbose_name_plural = _("joint actions")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["area", "-date"], name="joint_action_area_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.place}"


class JointActionPhoto(PrivatePhoto):
    """A photo of a joint action, served only through a view that checks access."""

    photo_folder = "joint"

    action = models.ForeignKey(
        JointAction, on_delete=models.CASCADE, related_name="photos", verbose_name=_("joint action")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("joint action photo")
        verbose_name_plural = _("joint action photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.action_id} {self.pk}"
