from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from branches.navigation import DecisionAction, register_decision_action
        from tickets.policy import TicketCapability

        register_decision_action(
            DecisionAction(
                _("Turn into a request"), "decision_ticket", TicketCapability.DISPATCH_TICKETS
            )
        )

        from tickets.services import follow_up_choices, follow_up_visit
        from visits.services import register_follow_up

        register_follow_up(follow_up_visit, follow_up_choices)

        from grids.navigation import HouseholdPanel, register_household_panel

        register_household_panel(
            HouseholdPanel(
                _("Open requests"), "tickets/_household_tickets.html", _open_tickets, order=10
            )
        )

        from notifications import texts
        from tickets import notices

        # What the deadline notices and the digest say: notifications know no tickets.
        texts.register(notices.KINDS, notices.describe)


def _open_tickets(user, household):
    from tickets.models import Ticket

    return (
        Ticket.objects.visible_to(user)
        .open()
        .filter(household=household)
        .select_related("matter")
        .order_by("-submitted_at")[:10]
    )
