from grids.policy import TerritoryCapability
from grids.scope import scope_paths
from tickets.operations import can_operate
from tickets.policy import TicketCapability
from visits.policy import VisitCapability


def navigation(request):
    """What the navbar offers: the dispatch board, visits, the dashboard, the operations page
    (the bell's count is notifications.context_processors.bell's).

    Posts are read once per request.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_dispatch": scope_paths(user, TicketCapability.DISPATCH_TICKETS) != [],
        "nav_visits": scope_paths(user, VisitCapability.LOG_VISITS) != [],
        "nav_dashboard": scope_paths(user, TerritoryCapability.VIEW_TERRITORY) != [],
        "nav_operations": can_operate(user),
    }
