"""The menu, and what each page shows of apps above its own: one place to read them all.

A page of a lower app (an area's page in grids, a household's, a joint meeting's decisions in
branches, the profile in accounts, a station's public page) must not import or name the apps
above it. It reads its list here (``settings.NAVIGATION``, through ``core.navigation.listed``),
in the order shown, and keeps what the user may open: a link's capability is checked at the
page's area, ``levels`` limits the area levels it is offered at.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from appraisal.policy import AppraisalCapability
from branches.models import PartyMember
from branches.selectors import household_members
from core.navigation import Link, Panel, Section
from deliberation.policy import DeliberationCapability
from grids.policy import TerritoryCapability
from grids.roles import COMMUNITY_LEVELS, Level, Role
from grids.scope import scope_paths
from points.policy import PointsCapability
from safety.policy import SafetyCapability
from stations.policy import StationCapability
from tickets import tasks_cache
from tickets.operations import can_operate
from tickets.policy import TicketCapability, may_manage_calendar, may_manage_catalogue
from tickets.selectors import my_tasks, open_for_household, task_assignees
from visits.policy import VisitCapability
from visits.selectors import household_visits

_COMMUNITIES = frozenset(COMMUNITY_LEVELS)
_ABOVE_COMMUNITY = frozenset({Level.DISTRICT, Level.STREET, Level.TOWN})
_UNITS = _COMMUNITIES | _ABOVE_COMMUNITY
# Visit plans: a community's own, a street's default for its communities.
_PLANNED = _COMMUNITIES | frozenset({Level.STREET, Level.TOWN})
# Stations serve grids and communities: nothing to list below a grid.
_ABOVE_MICRO = frozenset(level for level in Level.values if level != Level.MICRO_GRID)


def menu(request) -> dict:
    """The navbar's entries (templates/base.html) a signed-in user may open; posts are read
    once per request. The bell's count is ``notifications.context_processors.bell``'s."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_dispatch": scope_paths(user, TicketCapability.DISPATCH_TICKETS) != [],
        "nav_visits": scope_paths(user, VisitCapability.LOG_VISITS) != [],
        "nav_dashboard": scope_paths(user, TerritoryCapability.VIEW_TERRITORY) != [],
        "nav_operations": can_operate(user),
        "nav_calendar": may_manage_calendar(user),
        "nav_catalogue": may_manage_catalogue(user),
    }


# An area's page (grids/views.py area_detail): its other pages, by area code, grouped by theme
# (``section``; the page shows themes in ``core.navigation.Section`` order, links in this order).
AREA_PAGE_LINKS = (
    # People and households
    Link(
        _("Households to visit"),
        "my_visits",
        VisitCapability.LOG_VISITS,
        section=Section.PEOPLE,
        takes_object=False,
    ),
    Link(_("People"), "area_people", TerritoryCapability.MANAGE_POSTS, section=Section.PEOPLE),
    Link(
        _("Visits (走访)"), "visit_report", VisitCapability.SUPERVISE_VISITS, section=Section.PEOPLE
    ),
    Link(
        _("Visit plan"),
        "visit_plan",
        VisitCapability.SUPERVISE_VISITS,
        levels=_PLANNED,
        section=Section.PEOPLE,
    ),
    Link(_("Places to patrol"), "area_places", section=Section.PEOPLE),
    Link(
        _("My scorecard"),
        "appraisal_me",
        VisitCapability.LOG_VISITS,
        levels=frozenset({Level.GRID, Level.MICRO_GRID}),
        section=Section.PEOPLE,
        takes_object=False,
    ),
    Link(
        _("Scorecards (考核)"),
        "appraisal_ranking",
        levels=_COMMUNITIES | frozenset({Level.STREET, Level.TOWN}),
        section=Section.PEOPLE,
    ),
    Link(
        _("Scorecard scheme (考核方案)"),
        "appraisal_scheme",
        AppraisalCapability.SET_SCHEME,
        levels=frozenset({Level.DISTRICT}),
        section=Section.PEOPLE,
        takes_object=False,
    ),
    # Party building
    Link(_("Party branches"), "area_branches", section=Section.PARTY),
    Link(
        _("Households linked to members"),
        "area_links",
        levels=frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID}),
        section=Section.PARTY,
    ),
    Link(
        _("In-service members registered here"),
        "area_registrations",
        levels=_COMMUNITIES,
        section=Section.PARTY,
    ),
    Link(_("Co-building units"), "area_cobuilding", levels=_COMMUNITIES, section=Section.PARTY),
    # Service stations
    Link(_("Service stations"), "station_list", levels=_ABOVE_MICRO, section=Section.STATIONS),
    Link(_("Station coverage"), "station_coverage", levels=_ABOVE_MICRO, section=Section.STATIONS),
    # A community's public wall: anyone may open it, members claim from it.
    Link(_("Micro-wish wall"), "wish_wall", levels=_COMMUNITIES, section=Section.STATIONS),
    # Points
    Link(_("Points rankings"), "points_rankings", section=Section.POINTS),
    Link(
        _("Points to verify"),
        "points_verify",
        PointsCapability.VERIFY_POINTS,
        levels=_COMMUNITIES,
        section=Section.POINTS,
    ),
    Link(
        _("Points under publicity"),
        "points_publicity",
        levels=_COMMUNITIES,
        section=Section.POINTS,
    ),
    Link(_("Rewards"), "points_rewards", levels=_COMMUNITIES, section=Section.POINTS),
    Link(
        _("Rewards catalogue and stock"),
        "points_reward_catalogue",
        PointsCapability.MANAGE_REWARDS,
        levels=_COMMUNITIES,
        section=Section.POINTS,
    ),
    Link(
        _("Record residents' conduct"),
        "points_record",
        StationCapability.MANAGE_STATIONS,
        levels=_COMMUNITIES,
        section=Section.POINTS,
    ),
    Link(
        _("In-service members' annual minimum"),
        "points_minimum",
        levels=_UNITS,
        section=Section.POINTS,
    ),
    Link(_("Red and black lists"), "points_honours", levels=_UNITS, section=Section.POINTS),
    Link(
        _("Set up red and black lists"),
        "points_honour_lists",
        PointsCapability.SET_UP_HONOUR_LISTS,
        levels=_ABOVE_COMMUNITY,
        section=Section.POINTS,
    ),
    Link(
        _("Points schemes and rules"),
        "points_schemes",
        PointsCapability.MANAGE_SCHEMES,
        levels=frozenset({Level.DISTRICT}),
        section=Section.POINTS,
    ),
    Link(
        _("Points for the annual appraisal (Excel)"),
        "points_export",
        TerritoryCapability.EXPORT,  # a file of names: for those who may export
        levels=_UNITS,
        section=Section.POINTS,
    ),
    # Requests
    Link(
        _("My requests"),
        "my_tasks",
        TicketCapability.CLAIM_TICKETS,
        section=Section.REQUESTS,
        takes_object=False,
    ),
    Link(
        _("Dispatch board"),
        "ticket_board",
        TicketCapability.DISPATCH_TICKETS,
        section=Section.REQUESTS,
        takes_object=False,
    ),
    Link(
        _("Who accepts new requests"),
        "community_ticket_rules",
        TicketCapability.DISPATCH_TICKETS,
        levels=_COMMUNITIES,
        section=Section.REQUESTS,
    ),
    # 联合执法 / 联合处置: what the departments a street or community summoned did together.
    Link(_("Joint actions"), "joint_actions", levels=_UNITS, section=Section.REQUESTS),
    # The team's group chat: those who form the team set up its robot (notifications.services).
    Link(
        _("Group robots (WeCom, DingTalk)"),
        "area_robots",
        TerritoryCapability.MANAGE_POSTS,
        section=Section.REQUESTS,
    ),
    Link(
        _("Catalogue of matters"),
        "catalogue",
        TicketCapability.MANAGE_CATALOGUE,
        levels=frozenset({Level.DISTRICT}),
        section=Section.REQUESTS,
        takes_object=False,
    ),
    # 矛盾纠纷调解: an area's cases and its monthly rolling screening (滚动排查).
    Link(
        _("Mediation cases (矛盾纠纷调解)"),
        "mediation_cases",
        TerritoryCapability.VIEW_HOUSEHOLDS,  # cases name their parties
        section=Section.AFFAIRS,
    ),
    Link(
        _("Rolling screening (滚动排查)"),
        "mediation_screening",
        TerritoryCapability.VIEW_HOUSEHOLDS,
        section=Section.AFFAIRS,
    ),
    # 网格+安全: places patrolled with the checklist, the hazards until re-checked.
    Link(
        _("My places to patrol (安全巡查)"),
        "safety_mine",
        SafetyCapability.PATROL,
        section=Section.AFFAIRS,
        takes_object=False,
    ),
    Link(_("Safety patrols (安全巡查)"), "safety_places", section=Section.AFFAIRS),
    Link(_("Safety hazards (安全隐患)"), "safety_hazards", section=Section.AFFAIRS),
    # 红色物业: an area's estates and property companies; the half-yearly red and black list.
    Link(
        _("Property companies (红色物业)"), "estates_area", levels=_UNITS, section=Section.AFFAIRS
    ),
    Link(
        _("Property red and black list"),
        "estates_lists",
        levels=_ABOVE_COMMUNITY,
        section=Section.AFFAIRS,
    ),
    # 议事协商: the community's topics, meetings, notices and 实事 projects; a worker raises a
    # topic from their grid.
    Link(
        _("Deliberation (议事协商)"),
        "deliberation_board",
        levels=_COMMUNITIES,
        section=Section.AFFAIRS,
    ),
    Link(
        _("Raise a topic for deliberation"),
        "deliberation_raise",
        DeliberationCapability.RAISE_TOPICS,
        levels=frozenset({Level.GRID}),
        section=Section.AFFAIRS,
    ),
    # Data and settings
    Link(_("Import data"), "import_hub", TerritoryCapability.IMPORT_DATA, section=Section.SETTINGS),
    # Large exports are asked for and decided there (grids/exports.py). Not in the top menu:
    # a district officer's menu no longer fitted at 1366 px.
    Link(
        _("Export approvals"),
        "export_approvals",
        TerritoryCapability.EXPORT,
        section=Section.SETTINGS,
        takes_object=False,
    ),
)

# A household's page (grids/views.py household_detail): buttons by household pk, then panels.
HOUSEHOLD_PAGE_ACTIONS = (Link(_("Log a visit"), "visit_household", VisitCapability.LOG_VISITS),)
HOUSEHOLD_PAGE_PANELS = (
    Panel(_("Open requests"), "tickets/_household_tickets.html", open_for_household),
    Panel(
        _("Linked party members (党员联户)"), "branches/_household_members.html", household_members
    ),
    # Last, and "none yet" is worth saying here.
    Panel(_("Visits"), "visits/_household_visits.html", household_visits, show_empty=True),
)


# The visits page (visits/views.py my_visits), where a grid's team lands: their requests
# beside the households to visit; panels take the user and None.
def _assigned_to_me(user, _obj) -> list:
    """The first open requests assigned to the user, soonest due first (one query)."""
    return list(my_tasks(user)[:3])


def _my_tasks_version(user) -> tuple:
    return tasks_cache.tasks_version(task_assignees(user))


VISITS_PAGE_PANELS = (
    Panel(
        _("My requests"),
        "tickets/_visits_tasks.html",
        _assigned_to_me,
        show_empty=True,
        version=_my_tasks_version,
    ),
)

# A joint meeting's decisions (branches/views.py meeting_detail): actions by decision pk.
DECISION_ACTIONS = (
    Link(_("Turn into a request"), "decision_ticket", TicketCapability.DISPATCH_TICKETS),
)


# Where a user without a post lands (grids/views.py home): the first rule that names a page.
def _member_points(user) -> str | None:
    """A party member's account (activated from /join/ or the member list): their points."""
    return "my_points" if PartyMember.objects.filter(user=user, active=True).exists() else None


HOME_WITHOUT_POST = (_member_points,)

# Where a user with a post lands (grids/views.py home): the page the role of their most senior
# post opens most; a role not named here lands on its area's page (the navbar's "My area").
# Each page must open for every holder of the role (tests/test_no_dead_links.py).
HOME_BY_ROLE = {
    # The district and the streets follow figures: the dashboard.
    Role.DISTRICT_STAFF: "dashboard_home",
    Role.STREET_STAFF: "dashboard_home",
    # "社区派单": the community dispatches.
    Role.COMMUNITY_STAFF: "ticket_board",
    # The grid's team walks its households (走访), requests beside them.
    Role.GRID_LEADER: "my_visits",
    Role.GRID_WORKER: "my_visits",
    Role.PART_TIME_WORKER: "my_visits",
    Role.LIAISON: "my_visits",
    # Volunteers take requests; riders report what they see on their rounds.
    Role.VOLUNTEER: "my_tasks",
    Role.MOBILE_WORKER: "my_tasks",
}

# The user's profile (accounts/views.py profile).
PROFILE_LINKS = (Link(_("Notification settings"), "notification_preferences"),)

# Where a station's public page and the QR posters send residents: their grid's request form,
# by grid code (stations/views.py).
GRID_REQUEST = Link(_("Send a request to your grid"), "resident_request")
