"""What of the links, buttons and panels listed for the area and household pages a user sees.

The lists themselves are in ``governance/navigation.py`` (``core.navigation``): they name
pages of apps above grids, which grids must not import or name.
"""

from __future__ import annotations

from django.urls import reverse

from core.navigation import Section, listed
from grids.policy import TerritoryCapability
from grids.scope import can


def _offered(user, links, area) -> list:
    return [
        link
        for link in links
        if (link.levels is None or area.level in link.levels)
        and can(user, link.capability or TerritoryCapability.VIEW_TERRITORY, area)
    ]


def area_links(user, area) -> list[tuple[str, str]]:
    """(label, URL) of the other apps' pages for this area that the user may open."""
    return [
        (link.label, link.url(area.code))
        for link in _offered(user, listed("AREA_PAGE_LINKS"), area)
    ]


def area_sections(user, area, own=(), own_last=()) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(key, heading, [(label, URL)]) of the themes of an area's page, in ``Section`` order:
    in each, the page's own links (``own``: (section, label, URL)), the other apps' links
    the user may open, then the page's ``own_last`` (a download, say); a theme with nothing
    to open is left out."""
    by_section: dict[str, list[tuple[str, str]]] = {key: [] for key in Section.values}
    for section, label, url in own:
        by_section[section].append((label, url))
    for link in _offered(user, listed("AREA_PAGE_LINKS"), area):
        by_section[link.section].append((link.label, link.url(area.code)))
    for section, label, url in own_last:
        by_section[section].append((label, url))
    return [(key, label, by_section[key]) for key, label in Section.choices if by_section[key]]


def household_actions(user, household) -> list[tuple[str, str]]:
    """(label, URL) of the buttons on a household's page, held at its micro-grid or grid."""
    return [
        (link.label, link.url(household.pk))
        for link in _offered(user, listed("HOUSEHOLD_PAGE_ACTIONS"), household.area)
    ]


def household_panels(user, household) -> list[tuple[str, str, list]]:
    """(title, template, rows) of the other apps' panels on a household's page."""
    shown = []
    for panel in listed("HOUSEHOLD_PAGE_PANELS"):
        rows = list(panel.rows(user, household))
        if rows or panel.show_empty:
            shown.append((panel.title, panel.template, rows))
    return shown


def home_without_post(user) -> str | None:
    """Where a user without a post lands (a party member: their points), or None."""
    for rule in listed("HOME_WITHOUT_POST"):
        url_name = rule(user)
        if url_name:
            return reverse(url_name)
    return None


def landing(post) -> str | None:
    """The page the role of a user's most senior post opens most (``HOME_BY_ROLE``), or None
    for their area's page. Read from the post alone: no query."""
    url_name = listed("HOME_BY_ROLE").get(post.role)
    return reverse(url_name) if url_name else None
