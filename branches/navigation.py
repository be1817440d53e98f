"""Actions later apps offer on a joint-meeting decision, so branches never imports them.

tickets registers "turn into a request" here in its AppConfig.ready().
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from grids.scope import can


@dataclass(frozen=True)
class DecisionAction:
    label: str  # a lazy translation
    url_name: str  # takes the decision's pk as ``pk``
    capability: str


_ACTIONS: list[DecisionAction] = []


def register_decision_action(action: DecisionAction) -> None:
    if action not in _ACTIONS:
        _ACTIONS.append(action)


def decision_actions(user, community) -> list[tuple[str, str]]:
    """(label, URL name) of the actions ``user`` may take on decisions in ``community``."""
    return [(a.label, a.url_name) for a in _ACTIONS if can(user, a.capability, community)]


def decision_url(url_name: str, pk: int) -> str:
    return reverse(url_name, kwargs={"pk": pk})
