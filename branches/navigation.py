"""What of the actions listed for a joint meeting's decisions a user may take.

The list is in ``governance/navigation.py`` (``core.navigation``): "turn into a request" is a
page of tickets, which branches must not import or name.
"""

from __future__ import annotations

from django.urls import reverse

from core.navigation import listed
from grids.scope import can


def decision_links(user, community, decisions) -> list[tuple[object, list[tuple[str, str]]]]:
    """Each decision with the (label, URL) of the actions ``user`` may take on it."""
    actions = [a for a in listed("DECISION_ACTIONS") if can(user, a.capability, community)]
    return [
        (decision, [(a.label, reverse(a.url_name, args=[decision.pk])) for a in actions])
        for decision in decisions
    ]
