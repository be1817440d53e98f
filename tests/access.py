"""Vocabulary of the access matrix, and the collection of every app's cases.

Persona order (tests.conftest.PERSONAS): own_worker, neighbour_worker, street_officer,
other_street_officer, district_officer, anonymous. Targets are fixtures placed in the
own worker's grid G1 (or its community C1 / street S1).
"""

import importlib

OK, FOUND, DENIED, MISSING, LOGIN = 200, 302, 403, 404, "login"
VIEW = (OK, MISSING, OK, MISSING, OK, LOGIN)
EDIT = (OK, MISSING, DENIED, MISSING, DENIED, LOGIN)
EXPORT = (DENIED, MISSING, OK, MISSING, OK, LOGIN)
MANAGE = (DENIED, MISSING, OK, MISSING, OK, LOGIN)
END_POST = (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN)
PUBLIC = (OK, OK, OK, OK, OK, OK)

APPS = [
    "core",
    "accounts",
    "grids",
    "notifications",
    "visits",
    "branches",
    "stations",
    "points",
    "tickets",
    "appraisal",
    "mediation",
    "safety",
    "deliberation",
    "estates",
    "onboarding",
    "dashboards",
]


def all_cases():
    """{url name: (method, target fixture, kwargs(target), expected per persona)}, not scoped."""
    cases, not_scoped = {}, set()
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.access_cases")
        except ModuleNotFoundError:
            continue
        overlap = set(cases) & set(module.CASES)
        assert not overlap, f"listed twice: {overlap}"
        cases.update(module.CASES)
        not_scoped |= set(getattr(module, "NOT_SCOPED", ()))
    return cases, not_scoped
