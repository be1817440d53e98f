"""What a page shows that belongs to apps above the page's own app, read from one place.

An area's page (grids) lists the pages other apps keep for that area, a household's page
shows their panels, a joint meeting's decision offers their actions, the profile links to
the notification settings: the page's own app must not import those apps or name their URLs.
Instead ``settings.NAVIGATION`` names one module (``governance/navigation.py``) that lists,
page by page, every link, panel and action, in the order shown; the page's app reads its
section with ``listed`` and keeps only what the user may open (``grids.navigation``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Section(models.TextChoices):
    """The themes an area's page groups its links under, in the order shown: some 25 pages
    in one row broke every Chinese label one character per line and overflowed in English."""

    PEOPLE = "people", _("People and households")
    PARTY = "party", _("Party building")
    STATIONS = "stations", _("Service stations")
    POINTS = "points", _("Points")
    REQUESTS = "requests", _("Requests")
    # Mediation, deliberation, safety patrols, 红色物业: the grid's work besides requests.
    AFFAIRS = "affairs", _("Mediation, deliberation and safety")
    SETTINGS = "settings", _("Data and settings")
    # Where a link that names no theme lands: still shown, last, so nothing is lost.
    MORE = "more", _("More")


@dataclass(frozen=True)
class Link:
    """A link to a page of another app. ``url_name`` takes the page's object (an area's
    code, a decision's pk) as its one argument, unless ``takes_object`` is False (a page of
    the user's own, such as their tasks); ``capability`` (checked at the page's area) and
    ``levels`` (the area levels it is offered at; None for every level) decide who sees it;
    ``section`` is the theme an area's page shows it under.
    """

    label: str  # a lazy translation
    url_name: str
    capability: str | None = None
    levels: frozenset[str] | None = None
    section: str = Section.MORE
    takes_object: bool = True

    def url(self, obj) -> str:
        return reverse(self.url_name, args=[obj] if self.takes_object else [])


@dataclass(frozen=True)
class Panel:
    """A panel of another app on an object's page: ``rows(user, obj)`` returns what to show
    (one query, whatever the object), rendered by ``template`` as ``rows``."""

    title: str  # a lazy translation
    template: str
    rows: Callable
    show_empty: bool = False  # shown, saying there is nothing yet, when ``rows`` is empty
    # ``version(user)``: a value that changes whenever ``rows(user, None)`` would, read more
    # cheaply; a page kept per version (visits.page_cache) then keeps the panel with it.
    version: Callable | None = None


def listed(name: str):
    """What the navigation module lists under ``name``: a tuple of links or panels, or one."""
    return getattr(import_module(settings.NAVIGATION), name)
