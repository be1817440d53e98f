"""Co-handling (吹哨报到 with several departments): a street or community officer summons
departments on one request, one of them the lead. Each summons is a department's part of the
work, with its own acknowledge (报到) and completion limits; the request resolves when the
lead closes it after every part is in, or when the street overrides with a reason.

The services that move a summons are in tickets/services.py (co-handling section); the sweep
reminds and escalates a department that misses its acknowledge limit (tickets/sweep.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.concurrency import Versioned
from tickets.models.catalogue import Department
from tickets.models.workflow import Event, Ticket


class SummonsRole(models.TextChoices):
    LEAD = "lead", _("Lead department")
    CO = "co", _("Co-handling department")


class SummonsState(models.TextChoices):
    SUMMONED = "summoned", _("Summoned, not yet acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged (报到), working")
    DONE = "done", _("Part reported")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Summons(Versioned):
    """One department summoned on one request: its role, its limits and its part."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="summonses", verbose_name=_("request")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="summonses",
        verbose_name=_("department"),
    )
    role = models.CharField(_("role"), max_length=10, choices=SummonsRole.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=SummonsState.choices, default=SummonsState.SUMMONED
    )
    summoned_at = models.DateTimeField(_("summoned"))
    summoned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("summoned by"),
    )
    acknowledge_due = models.DateTimeField(_("acknowledge by"))
    completion_due = models.DateTimeField(_("part due"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    reported_at = models.DateTimeField(_("part reported"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    report = models.TextField(_("what the department did"), max_length=2000, blank=True)
    # The timeline line of the report; its photos hang on it (tickets.Photo.event).
    report_event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The sweep's bookkeeping, as on the ticket: the next point to act on (a reminder, the
    # acknowledge limit passing, an escalation), and how far it has acted.
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    checked_until = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("summoned department")
        verbose_name_plural = _("summoned departments")
        ordering = ["ticket", "-role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "department"],
                condition=~Q(state="withdrawn"),
                name="summons_once_per_department",
            ),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(role="lead") & ~Q(state="withdrawn"),
                name="summons_one_lead",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="summons_next_check",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["department", "summoned_at"], name="summons_department_month"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.department_id} {self.role}"

    @property
    def is_lead(self) -> bool:
        return self.role == SummonsRole.LEAD

    def acknowledged_on_time(self) -> bool | None:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at <= self.acknowledge_due

    def reported_on_time(self) -> bool | None:
        if self.reported_at is None:
            return None
        return self.reported_at <= self.completion_due
