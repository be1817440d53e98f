"""The one permission table: what each role may do and the admin groups made from it.

The expected values below were read from the four places that decided permissions before
they were merged into ``<app>/policy.py`` (issue 17): changing them is a change of behaviour.
"""

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import module_has_submodule

from grids import policy
from grids.groups import ensure_groups
from grids.roles import Role

# --- What each role could do (grids/roles.py before issue 17) --------------------------------

PREVIOUS_ROLE_CAPABILITIES = {
    "district_staff": {
        "view_territory",
        "view_households",
        "export",
        "manage_posts",
        "edit_areas",
        "inspect_stations",
        "dispatch_tickets",
        "supervise_visits",
    },
    "street_staff": {
        "view_territory",
        "view_households",
        "export",
        "manage_posts",
        "manage_branches",
        "dispatch_tickets",
        "inspect_stations",
        "supervise_visits",
    },
    "community_staff": {
        "view_territory",
        "view_households",
        "edit_households",
        "reveal_personal",
        "export",
        "manage_posts",
        "manage_branches",
        "verify_registrations",
        "link_households",
        "dispatch_tickets",
        "manage_stations",
        "inspect_stations",
        "log_station_activities",
        "verify_points",
        "supervise_visits",
        "log_visits",
    },
    "grid_leader": {
        "view_territory",
        "view_households",
        "edit_households",
        "reveal_personal",
        "export",
        "link_households",
        "dispatch_tickets",
        "claim_tickets",
        "manage_stations",
        "log_station_activities",
        "log_visits",
    },
    "grid_worker": {
        "view_territory",
        "view_households",
        "edit_households",
        "reveal_personal",
        "claim_tickets",
        "log_station_activities",
        "log_visits",
    },
    "part_time_worker": {"view_territory", "view_households", "claim_tickets", "log_visits"},
    "liaison": {"view_territory", "view_households", "claim_tickets", "log_visits"},
    "volunteer": {"view_territory", "claim_tickets"},
    "mobile_worker": {"view_territory"},
}

# --- The admin groups (grids/groups.py and stations/groups.py before issue 17) ----------------

PREVIOUS_GROUP_PERMISSIONS = {
    "District staff": {
        "accounts.view_user",
        # Issue 23: the district keeps the career ladder's grades (三岗十八级) in the admin.
        "appraisal.add_grade",
        "appraisal.change_grade",
        "appraisal.view_grade",
        # Issue 24: the district keeps the safety checklists and patrol intervals.
        "safety.add_checklistitem",
        "safety.change_checklistitem",
        "safety.view_checklistitem",
        "safety.add_patrolplan",
        "safety.change_patrolplan",
        "safety.view_patrolplan",
        # Issue 24, 红色物业: the district keeps companies, estates and the standard.
        "estates.add_company",
        "estates.add_estate",
        "estates.add_standarditem",
        "estates.change_company",
        "estates.change_estate",
        "estates.change_standarditem",
        "estates.view_company",
        "estates.view_estate",
        "estates.view_standarditem",
        "grids.add_area",
        "grids.add_post",
        "grids.change_area",
        "grids.change_post",
        "grids.view_area",
        "grids.view_household",
        "grids.view_post",
        "grids.view_resident",
        "grids.view_residentcare",
        # Issue 24: the district keeps the mediation studios (调解工作室) in the admin.
        "mediation.add_studio",
        "mediation.change_studio",
        "mediation.view_studio",
        "stations.add_facility",
        "stations.add_servicetype",
        "stations.change_facility",
        "stations.change_servicetype",
        "stations.view_activity",
        "stations.view_facility",
        "stations.view_inspection",
        "stations.view_monthlyserved",
        "stations.view_servicetype",
        "stations.view_station",
    },
    "Street staff": {
        "accounts.view_user",
        "grids.add_post",
        "grids.change_post",
        "grids.view_area",
        "grids.view_household",
        "grids.view_post",
        "grids.view_resident",
        "grids.view_residentcare",
        "stations.view_activity",
        "stations.view_inspection",
        "stations.view_monthlyserved",
        "stations.view_station",
    },
    "Community staff": {
        "accounts.view_user",
        "grids.add_household",
        "grids.add_post",
        "grids.add_resident",
        "grids.add_residentcare",
        "grids.change_household",
        "grids.change_post",
        "grids.change_resident",
        "grids.change_residentcare",
        "grids.delete_residentcare",
        "grids.view_area",
        "grids.view_household",
        "grids.view_post",
        "grids.view_resident",
        "grids.view_residentcare",
        "stations.add_stationstaff",
        "stations.change_activity",
        "stations.change_monthlyserved",
        "stations.change_station",
        "stations.change_stationstaff",
        "stations.delete_stationstaff",
        "stations.view_activity",
        "stations.view_inspection",
        "stations.view_monthlyserved",
        "stations.view_station",
        "stations.view_stationstaff",
    },
}


def _group_permissions() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{permission.content_type.app_label}.{permission.codename}"
            for permission in group.permissions.select_related("content_type")
        }
        for group in Group.objects.all()
    }


# Granted deliberately since, each with its reason.
GRANTED_SINCE = {
    # Issue 19, data onboarding: the offices that hold a place's registers load them, and a
    # street office lays out its own communities and grids.
    # Issue 20, a district without a superuser: district staff keep the working-day calendar,
    # the catalogue of matters and departments, the API clients, the points schemes and their
    # rules and the district-wide red and black lists; a street sets up its own lists; a
    # community keeps its rewards catalogue and stock.
    # Issue 23, scorecards: the street publishes and corrects its month; streets and
    # communities score the manual items; the district sets the scheme; the career ladder:
    # the district and the street place a worker on it, the street decides promotions.
    "district_staff": {
        "import_data",
        "set_scheme",
        "set_grades",
        "manage_calendar",
        "manage_catalogue",
        "manage_api_clients",
        "manage_schemes",
        "set_up_honour_lists",
        "set_checklists",
        # Issue 24, 红色物业: the district and the street publish the red and black list.
        "publish_property_list",
        # Issue 26, PIPL: the district sets how long each kind of record is kept.
        "set_retention",
    },
    "street_staff": {
        "publish_property_list",
        "import_data",
        "edit_areas",
        "set_up_honour_lists",
        "publish_scorecards",
        "score_workers",
        "set_grades",
        "decide_promotions",
        "manage_hazards",
    },
    "community_staff": {
        "import_data",
        "manage_rewards",
        "score_workers",
        "safety_patrol",
        "manage_hazards",
        "rate_property",
    },
    # Issue 24, safety patrols (网格+安全): the grid's team walks the checklist; the community
    # and the street chase the hazards; the district sets the checklists.
    "grid_leader": {"safety_patrol"},
    "grid_worker": {"safety_patrol"},
    "part_time_worker": {"safety_patrol"},
}
# Issue 24, mediation (矛盾纠纷调解): the grid's team, the community and the street record cases.
for _role in ("street_staff", "community_staff", "grid_leader", "grid_worker"):
    GRANTED_SINCE.setdefault(_role, set()).add("record_mediation")
# Issue 24, deliberation (议事协商): communities (and streets over them) run it; grid workers
# raise topics on residents' behalf.
for _role, _granted in {
    "street_staff": {"manage_deliberation", "raise_topics"},
    "community_staff": {"manage_deliberation", "raise_topics"},
    "grid_leader": {"raise_topics"},
    "grid_worker": {"raise_topics"},
    "part_time_worker": {"raise_topics"},
}.items():
    GRANTED_SINCE[_role] = GRANTED_SINCE.get(_role, set()) | _granted


def test_each_role_holds_the_same_capabilities_as_before():
    expected = {
        role: capabilities | GRANTED_SINCE.get(role, set())
        for role, capabilities in PREVIOUS_ROLE_CAPABILITIES.items()
    }
    assert {role: set(policy.capabilities_of(role)) for role in Role} == expected


@pytest.mark.django_db
def test_the_admin_groups_hold_the_same_permissions_as_before():
    assert _group_permissions() == PREVIOUS_GROUP_PERMISSIONS


# --- One table, filled by the apps ------------------------------------------------------------


def _apps_with_a_policy() -> dict[str, object]:
    return {
        config.label: importlib.import_module(f"{config.name}.policy")
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "policy")
    }


def test_a_roles_capabilities_are_the_union_of_its_apps_declarations():
    declared = policy.app_policies()
    for role in Role:
        union = set()
        for app_policy in declared:
            union |= {c for c, roles in app_policy.holders.items() if role in roles}
        assert policy.capabilities_of(role) == union, role


def test_every_app_policy_declares_its_capabilities_and_nothing_else():
    """Each app's capabilities are registered from its own policy module, and every
    TextChoices of capabilities in a policy module is registered."""
    registered = {app_policy.capabilities for app_policy in policy.app_policies()}
    for label, module in _apps_with_a_policy().items():
        choices = {
            value
            for name, value in vars(module).items()
            if name.endswith("Capability")
            and isinstance(value, type)
            and issubclass(value, models.TextChoices)
            and value.__module__ == module.__name__
        }
        assert choices, f"{label}.policy declares no capabilities"
        assert choices <= registered, f"{label}.policy: unregistered {choices - registered}"
    assert {d.app for d in policy.app_policies()} == set(_apps_with_a_policy())


def test_every_capability_is_registered_exactly_once():
    values = [value for d in policy.app_policies() for value in d.capabilities.values]
    assert len(values) == len(set(values))
    assert set(values) == {c for d in policy.app_policies() for c in d.holders}


def _capabilities_named_in_the_code() -> set[tuple[str, str]]:
    root = Path(settings.BASE_DIR)
    named = set()
    for config in apps.get_app_configs():
        folder = Path(config.path)
        if not folder.is_relative_to(root):
            continue  # Django's and third-party apps
        for path in folder.rglob("*.py"):
            named |= set(re.findall(r"\b(\w+Capability)\.([A-Z_]+)\b", path.read_text()))
    return named


def test_every_capability_used_in_the_code_is_a_registered_one():
    classes = {d.capabilities.__name__: d.capabilities for d in policy.app_policies()}
    named = _capabilities_named_in_the_code()
    assert named, "the scan found no capability in the code"
    for class_name, member in named:
        assert class_name in classes, f"{class_name} is not a registered capability class"
        assert member in classes[class_name].names, f"{class_name}.{member} does not exist"
        policy.roles_holding(classes[class_name][member])


def test_a_capability_nobody_registered_is_an_error_not_a_refusal():
    with pytest.raises(ImproperlyConfigured):
        policy.roles_holding("fly_drones")


def test_a_capability_registered_twice_or_without_holders_stops_the_start():
    class Again(models.TextChoices):
        VIEW_TERRITORY = "view_territory", "again"

    class Unheld(models.TextChoices):
        FLY_DRONES = "fly_drones", "fly drones"

    before = policy.app_policies()
    with pytest.raises(ImproperlyConfigured, match="twice"):
        policy.register(Again, {Again.VIEW_TERRITORY: (Role.VOLUNTEER,)})
    with pytest.raises(ImproperlyConfigured, match="missing"):
        policy.register(Unheld, {})
    with pytest.raises(ImproperlyConfigured, match="unknown roles"):
        policy.register(Unheld, {Unheld.FLY_DRONES: ("pilot",)})
    assert policy.app_policies() == before


@pytest.mark.django_db
def test_the_groups_are_rebuilt_once_every_app_they_name_has_its_permissions():
    community = Group.objects.get(name="Community staff")
    community.permissions.remove(Permission.objects.get(codename="change_station"))
    community.permissions.add(Permission.objects.get(codename="delete_area"))
    ensure_groups(sender=apps.get_app_config("grids"))  # stations' come later: wait for them
    assert "stations.change_station" not in _group_permissions()["Community staff"]
    ensure_groups(sender=apps.get_app_config("stations"))  # appraisal's come later still
    assert "stations.change_station" not in _group_permissions()["Community staff"]
    ensure_groups(sender=apps.get_app_config("appraisal"))  # mediation's come later still
    assert "stations.change_station" not in _group_permissions()["Community staff"]
    ensure_groups(sender=apps.get_app_config("mediation"))  # safety's come later still
    ensure_groups(sender=apps.get_app_config("safety"))  # estates' come later still
    ensure_groups(sender=apps.get_app_config("estates"))  # the last
    assert _group_permissions() == PREVIOUS_GROUP_PERMISSIONS
