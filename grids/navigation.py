"""Links that later apps add to an area's or a household's page, so grids never imports them.

An app registers its pages in its AppConfig.ready(); the area page shows those the
user may open at that area's level.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from grids.policy import TerritoryCapability
from grids.scope import can


@dataclass(frozen=True)
class AreaLink:
    label: str  # a lazy translation
    url_name: str  # takes the area code as ``code``
    levels: frozenset[str] | None = None  # None: every level
    capability: str = TerritoryCapability.VIEW_TERRITORY
    order: int = 100


_LINKS: list[AreaLink] = []


def register_area_link(link: AreaLink) -> None:
    if link not in _LINKS:
        _LINKS.append(link)
        _LINKS.sort(key=lambda item: item.order)


def area_links(user, area) -> list[tuple[str, str]]:
    return [
        (link.label, reverse(link.url_name, kwargs={"code": area.code}))
        for link in _LINKS
        if (link.levels is None or area.level in link.levels) and can(user, link.capability, area)
    ]


# --- Panels that later apps add to a household's page --------------------------------------------


@dataclass(frozen=True)
class HouseholdPanel:
    """``rows(user, household)`` returns what to show (a list; empty hides the panel unless
    ``show_empty``, when the template says there is nothing yet); ``template`` renders them
    as ``rows``. One query per panel, whatever the household."""

    title: str  # a lazy translation
    template: str
    rows: object  # Callable[[user, Household], list]
    order: int = 100
    show_empty: bool = False


_PANELS: list[HouseholdPanel] = []


def register_household_panel(panel: HouseholdPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)
        _PANELS.sort(key=lambda item: item.order)


def household_panels(user, household) -> list[tuple[str, str, list]]:
    shown = []
    for panel in _PANELS:
        rows = list(panel.rows(user, household))
        if rows or panel.show_empty:
            shown.append((panel.title, panel.template, rows))
    return shown


# --- Buttons that later apps add to a household's page -------------------------------------------


@dataclass(frozen=True)
class HouseholdAction:
    label: str  # a lazy translation
    url_name: str  # takes the household's ``pk``
    capability: str  # held at the household's micro-grid or grid
    order: int = 100


_ACTIONS: list[HouseholdAction] = []


def register_household_action(action: HouseholdAction) -> None:
    if action not in _ACTIONS:
        _ACTIONS.append(action)
        _ACTIONS.sort(key=lambda item: item.order)


def household_actions(user, household) -> list[tuple[str, str]]:
    area = household.area
    return [
        (action.label, reverse(action.url_name, kwargs={"pk": household.pk}))
        for action in _ACTIONS
        if can(user, action.capability, area)
    ]
