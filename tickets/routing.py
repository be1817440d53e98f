"""Who takes a matter owned by "the property company of the estate" (OwnerLevel.PROPERTY).

Tickets knows no estates: the app that does (estates, above it) registers a finder in its
``ready()``; ``submit`` asks it for the department of the place. With no finder, or no
company serving the place, the request stays with its grid or community as any other.
"""

from __future__ import annotations

from collections.abc import Callable

_finders: list[Callable] = []


def register_department_finder(finder: Callable) -> None:
    """``finder(area=..., household=...)`` returns a Department or None."""
    if finder not in _finders:
        _finders.append(finder)


def property_department(*, area, household=None):
    for finder in _finders:
        department = finder(area=area, household=household)
        if department is not None:
            return department
    return None
