"""The tickets app's models, one module per reason to change: the catalogue of matters, the
workflow (tickets, their timeline and photos), the API's clients and the sweep's record.
The working-day calendar is core's (core/models.py, core/workdays.py); notifications are
their own app's."""

from tickets.models.board import TALLIED_TABS, BoardTally
from tickets.models.catalogue import (
    Bilingual,
    Category,
    Department,
    LimitUnit,
    Matter,
    OwnerLevel,
)
from tickets.models.clients import ApiClient
from tickets.models.cohandling import Summons, SummonsRole, SummonsState
from tickets.models.community import CommunityRules
from tickets.models.joint import JointAction, JointActionPhoto
from tickets.models.sweeps import SweepRun
from tickets.models.workflow import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    WISH_MATTER,
    Channel,
    Event,
    Photo,
    Status,
    Ticket,
    TicketQuerySet,
    is_overdue,
)

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "TALLIED_TABS",
    "WISH_MATTER",
    "ApiClient",
    "Bilingual",
    "BoardTally",
    "Category",
    "Channel",
    "CommunityRules",
    "Department",
    "Event",
    "JointAction",
    "JointActionPhoto",
    "LimitUnit",
    "Matter",
    "OwnerLevel",
    "Photo",
    "Status",
    "Summons",
    "SummonsRole",
    "SummonsState",
    "SweepRun",
    "Ticket",
    "TicketQuerySet",
    "is_overdue",
]
