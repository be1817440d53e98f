"""The one permission table: what each role may do and the admin groups made from it.

The expected values below were read from the four places that decided permissions before
they were merged into ``<app>/policy.py`` (issue 17): changing them is a change of behaviour.
"""

import pytest
from django.contrib.auth.models import Group

from grids.roles import ROLE_CAPABILITIES

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
        "grids.add_area",
        "grids.add_post",
        "grids.change_area",
        "grids.change_post",
        "grids.view_area",
        "grids.view_household",
        "grids.view_post",
        "grids.view_resident",
        "grids.view_residentcare",
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


def test_each_role_holds_the_same_capabilities_as_before():
    assert {role: set(caps) for role, caps in ROLE_CAPABILITIES.items()} == (
        PREVIOUS_ROLE_CAPABILITIES
    )


@pytest.mark.django_db
def test_the_admin_groups_hold_the_same_permissions_as_before():
    assert _group_permissions() == PREVIOUS_GROUP_PERMISSIONS
