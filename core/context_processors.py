"""What base.html needs on every page: which menu section is open, and the large-text mode."""

from __future__ import annotations

# The pages a resident opens without an account (a QR code, a link from an SMS, the directory):
# the large-text mode (适老化) applies to these only. Names, not imports: core is the bottom layer.
PUBLIC_VIEWS = frozenset(
    {
        "resident_request",
        "track_lookup",
        "ticket_track",
        "wish_wall",
        "wish_new",
        "station_directory",
        "station_public",
        # 议事协商: the community's topics, a notice (公示), the 亮晒评 projects.
        "deliberation_public",
        "deliberation_notice",
        "deliberation_projects",
        "deliberation_project",
    }
)
LARGE_TEXT_COOKIE = "large_text"

# First match wins, so a path under two prefixes (/tickets/mine/) is listed before the wider one.
_SECTIONS = (
    ("/tickets/mine/", "tasks"),
    ("/dashboard/", "dashboard"),
    ("/points/", "points"),
    ("/visits/", "visits"),
    ("/tickets/", "dispatch"),
    ("/operations/", "operations"),
    ("/calendar/", "calendar"),
    ("/catalogue/", "catalogue"),
    ("/accounts/profile/", "profile"),
    ("/areas/", "area"),
)


def _section(path: str) -> str:
    for prefix, section in _SECTIONS:
        if path.startswith(prefix):
            return section
    return ""


def display(request) -> dict:
    match = getattr(request, "resolver_match", None)
    public = bool(match and match.url_name in PUBLIC_VIEWS)
    return {
        "nav_section": _section(request.path_info),
        "public_page": public,
        "large_text": public and request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
    }
