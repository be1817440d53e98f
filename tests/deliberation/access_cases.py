from tests.access import DENIED, LOGIN, MISSING, OK, PUBLIC

_community = lambda t: {"code": t.community.code}  # noqa: E731

CASES = {
    # The community's board: officers over the community read it; workers of its grids do not
    # see the community itself.
    "deliberation_board": (
        "get",
        "topic",
        _community,
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    # A worker raises a topic from their own grid; the street over it too; the district,
    # which runs no deliberation, is refused.
    "deliberation_raise": (
        "get",
        "topic",
        lambda t: {"code": t.grid.code},
        (OK, MISSING, OK, MISSING, DENIED, LOGIN),
    ),
    "deliberation_topic": (
        "get",
        "topic",
        lambda t: {"pk": t.pk},
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    # Public pages: the decided topic's notice, the 亮晒评 list and a completed project's page.
    "deliberation_public": ("get", "topic", _community, PUBLIC),
    "deliberation_notice": (
        "get",
        "decided_topic",
        lambda t: {"code": t.community.code, "pk": t.pk},
        PUBLIC,
    ),
    "deliberation_projects": ("get", "completed_project", lambda p: {"code": "C1"}, PUBLIC),
    "deliberation_project": (
        "get",
        "completed_project",
        lambda p: {"code": "C1", "pk": p.pk},
        PUBLIC,
    ),
    # A photo of a public project: anyone, like the page that shows it.
    "deliberation_project_photo": (
        "get",
        "project_photo",
        lambda p: {"code": "C1", "pk": p.pk},
        PUBLIC,
    ),
}
