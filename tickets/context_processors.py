from grids.roles import Capability
from grids.scope import scope_paths


def navigation(request):
    """Whether the navbar offers the dispatch board (posts are read once per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_dispatch": scope_paths(user, Capability.DISPATCH_TICKETS) != []}
