"""What each role may do: the one table of capabilities, and the territory's own.

A post (a role held at an area, ``grids.roles``) lets its holder do things at and under its
area. Each app states the things it decides in its own ``<app>/policy.py``: a TextChoices of
capabilities, which roles hold each of them, the admin model permissions they open to the
officers' groups, and any rule about one object (an assignee acknowledging their own ticket).
That module calls ``register`` when it is imported: whoever uses a capability imports it, and
``GridsConfig.ready()`` imports every installed app's (``autodiscover_modules("policy")``), so
the table is the union of the installed apps' declarations and grids names none of them.

``grids.scope.can`` and ``scope_paths`` read the table through ``roles_holding``;
``grids.groups`` builds the admin groups from ``admin_permissions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.roles import Role

# The officers' groups in the Django admin, one per staff role. The admin only opens pages;
# what an officer reaches in them still comes from their posts (``grids.admin.ScopedAdmin``).
ADMIN_GROUPS: dict[str, str] = {
    Role.DISTRICT_STAFF: "District staff",
    Role.STREET_STAFF: "Street staff",
    Role.COMMUNITY_STAFF: "Community staff",
}
_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


@dataclass(frozen=True)
class AppPolicy:
    """One app's part of the table."""

    app: str
    capabilities: type[models.TextChoices]
    holders: Mapping[str, frozenset[str]]  # capability -> roles
    # role -> {"app_label.model": letters of view/add/change/delete}
    admin: Mapping[str, Mapping[str, str]]


_policies: list[AppPolicy] = []
_holders: dict[str, frozenset[str]] = {}


def register(
    capabilities: type[models.TextChoices],
    holders: Mapping[str, Iterable[str]],
    admin: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Add an app's capabilities, who holds each, and the admin permissions of its groups.

    Every capability is declared once, with its holders; a capability named nowhere, or
    twice, is a mistake in the table and stops the start.
    """
    app = capabilities.__module__.partition(".")[0]
    if set(holders) != set(capabilities.values):
        raise ImproperlyConfigured(
            f"{capabilities.__name__}: say who holds each capability, and only those "
            f"(missing {sorted(set(capabilities.values) - set(holders))}, "
            f"unknown {sorted(set(holders) - set(capabilities.values))})"
        )
    twice = set(holders) & set(_holders)
    if twice:
        raise ImproperlyConfigured(f"{app}: capabilities registered twice: {sorted(twice)}")
    roles = {str(role): frozenset(map(str, held)) for role, held in holders.items()}
    for capability, held in roles.items():
        if not held <= set(Role.values):
            raise ImproperlyConfigured(f"{capability}: unknown roles {sorted(held - set(Role))}")
    admin = {str(role): dict(permissions) for role, permissions in (admin or {}).items()}
    for role, permissions in admin.items():
        if role not in ADMIN_GROUPS:
            raise ImproperlyConfigured(f"{app}: no admin group for the role {role}")
        for label, letters in permissions.items():
            if label.count(".") != 1 or not set(letters) <= set(_ACTIONS):
                raise ImproperlyConfigured(f"{app}: bad admin permission {label}: {letters}")
            if any(label in d.admin.get(role, {}) for d in _policies):
                raise ImproperlyConfigured(f"{app}: {label} given to {role} twice")
    _policies.append(AppPolicy(app, capabilities, roles, admin))
    _holders.update(roles)


def app_policies() -> list[AppPolicy]:
    return list(_policies)


def roles_holding(capability: str) -> frozenset[str]:
    """The roles whose posts give ``capability``; an unregistered name is an error, not a
    silent refusal."""
    try:
        return _holders[capability]
    except KeyError:
        raise ImproperlyConfigured(f"No app registered the capability {capability!r}") from None


def capabilities_of(role: str) -> frozenset[str]:
    return frozenset(capability for capability, roles in _holders.items() if role in roles)


def admin_permissions(role: str) -> dict[str, set[str]]:
    """The admin permissions of a role's group: app label -> codenames."""
    wanted: dict[str, set[str]] = {}
    for app_policy in _policies:
        for label, letters in app_policy.admin.get(role, {}).items():
            app_label, model = label.split(".")
            wanted.setdefault(app_label, set()).update(
                f"{_ACTIONS[letter]}_{model}" for letter in letters
            )
    return wanted


# --- The territory: areas, households and residents, posts --------------------------------


class TerritoryCapability(models.TextChoices):
    VIEW_TERRITORY = "view_territory", _("See the areas and teams")
    VIEW_HOUSEHOLDS = "view_households", _("See households and residents (masked)")
    EDIT_HOUSEHOLDS = "edit_households", _("Add and edit households and residents")
    REVEAL_PERSONAL = "reveal_personal", _("See a full ID or mobile number (audited)")
    EXPORT = "export", _("Export lists")
    MANAGE_POSTS = "manage_posts", _("Appoint and end posts")
    EDIT_AREAS = "edit_areas", _("Edit areas and boundaries")
    IMPORT_DATA = "import_data", _("Load areas, households and people from files")
    SET_RETENTION = "set_retention", _("Set how long each kind of record is kept")


_R = Role
_T = TerritoryCapability
_STAFF = (_R.DISTRICT_STAFF, _R.STREET_STAFF, _R.COMMUNITY_STAFF)
# The grid's own team, who meet its residents: leader, full-time worker, community staff.
_GRID_TEAM = (_R.COMMUNITY_STAFF, _R.GRID_LEADER, _R.GRID_WORKER)

register(
    TerritoryCapability,
    {
        _T.VIEW_TERRITORY: tuple(Role),
        _T.VIEW_HOUSEHOLDS: (
            *_STAFF,
            _R.GRID_LEADER,
            _R.GRID_WORKER,
            _R.PART_TIME_WORKER,
            _R.LIAISON,
        ),
        _T.EDIT_HOUSEHOLDS: _GRID_TEAM,
        _T.REVEAL_PERSONAL: _GRID_TEAM,
        _T.EXPORT: (*_STAFF, _R.GRID_LEADER),
        _T.MANAGE_POSTS: _STAFF,
        # A street office lays out its communities and grids; the district all of them.
        _T.EDIT_AREAS: (_R.DISTRICT_STAFF, _R.STREET_STAFF),
        # The offices that hold a place's registers load them: district, street, community.
        _T.IMPORT_DATA: _STAFF,
        # One period for the whole district (core.retention), as the law is the district's.
        _T.SET_RETENTION: (_R.DISTRICT_STAFF,),
    },
    admin={
        _R.DISTRICT_STAFF: {
            "grids.area": "vac",
            "grids.household": "v",
            "grids.resident": "v",
            "grids.residentcare": "v",
            "grids.post": "vac",
            "accounts.user": "v",
        },
        _R.STREET_STAFF: {
            "grids.area": "v",
            "grids.household": "v",
            "grids.resident": "v",
            "grids.residentcare": "v",
            "grids.post": "vac",
            "accounts.user": "v",
        },
        _R.COMMUNITY_STAFF: {
            "grids.area": "v",
            "grids.household": "vac",
            "grids.resident": "vac",
            "grids.residentcare": "vacd",
            "grids.post": "vac",
            "accounts.user": "v",
        },
    },
)
