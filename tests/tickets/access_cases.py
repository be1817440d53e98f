import datetime as dt

from tests.access import DENIED, FOUND, LOGIN, MISSING, OK, PUBLIC, VIEW

NOT_SCOPED = {
    # Lists filtered by scope (tests/tickets/test_pages.py proves what they hold).
    "ticket_board",
    "ticket_export",
    "my_tasks",
    "ticket_new",
    "ticket_bulk_assign",
}


def _wish_on_the_wall(ticket) -> dict:
    """A micro-wish of the ticket's community (C1), accepted and so on its wall."""
    from grids.models import Area
    from tickets import services
    from tickets.models import Channel, Matter

    wish = services.submit(
        channel=Channel.WISH,
        matter=Matter.objects.get(code="micro_wish"),
        description="希望有人陪老人聊聊天",
        reporter_phone="13812345670",
        community=Area.objects.get_parent(ticket.area),
    )
    wish = services.accept(by=None, ticket=wish)
    return {"code": wish.area.code, "pk": wish.pk}


_community = lambda t: {"code": t.community.code}  # noqa: E731
_pk = lambda obj: {"pk": obj.pk}  # noqa: E731
_COMMAND_CENTRE = (DENIED, DENIED, DENIED, DENIED, OK, LOGIN)
# The working-day calendar is district staff's; to anyone else it does not exist.
_DISTRICT_ONLY = (MISSING, MISSING, MISSING, MISSING, OK, LOGIN)


def _calendar_day(territory) -> dict:
    from core.models import CalendarDay

    return {"pk": CalendarDay.objects.create(date=dt.date(2027, 3, 2), is_workday=False).pk}


def _department(territory) -> dict:
    from tickets.models import Department

    return {"pk": Department.objects.create(code="water", name_en="Water", name_zh="水务").pk}


def _api_client(territory) -> dict:
    from tickets.models import ApiClient

    client = ApiClient.objects.create(
        name="12345", token_hash="0" * 64, token_hint="000000", area=territory.district
    )
    return {"pk": client.pk}


_matter = lambda t: {"pk": t.matter.pk}  # noqa: E731


def _summoned(ticket) -> list:
    """The request summoned on two departments (co-handling), by the system."""
    from tickets import services
    from tickets.models import Department

    lead = Department.objects.create(code="t_police", name_en="Police", name_zh="派出所")
    co = Department.objects.create(code="t_housing", name_en="Housing", name_zh="住建")
    return services.summon(by=None, ticket=ticket, lead=lead, co=[co], reason="联合处置")


def _summons_of(ticket) -> dict:
    return {"code": ticket.short_code, "pk": _summoned(ticket)[1].pk}


def _override_of(ticket) -> dict:
    _summoned(ticket)
    return {"code": ticket.short_code}


# The catalogue and the API clients are district staff's too: to anyone else they do not exist
# (302: saved, deactivated or a new token issued, and back to the page).
_DISTRICT_WRITES = (MISSING, MISSING, MISSING, MISSING, FOUND, LOGIN)

CASES = {
    # Street staff dispatch in S1; so does the district's command centre.
    "decision_ticket": (
        "get",
        "meeting",
        lambda m: {"pk": m.decisions.get().pk},
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "ticket_detail": ("get", "ticket", lambda t: {"code": t.short_code}, VIEW),
    # The grid worker may not accept; the street officer dispatches in S1 (302: the form
    # posted by the matrix has no version, so nothing changes); so do district staff.
    "ticket_act": (
        "post",
        "ticket",
        lambda t: {"code": t.short_code, "action": "accept"},
        (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN),
    ),
    # The same: the grid worker may not accept; dispatchers get 302 (no one chosen, nothing
    # changes); another area's request is not found.
    "ticket_accept_assign": (
        "post",
        "ticket",
        lambda t: {"code": t.short_code},
        (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN),
    ),
    # Co-handling (吹哨报到): street and community officers summon (302: the matrix's form
    # chooses no department, so nothing changes); a grid worker who sees the request may not.
    "ticket_summon": (
        "post",
        "ticket",
        lambda t: {"code": t.short_code},
        (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN),
    ),
    # The street overrides the missing parts (302: no reason given, nothing changes).
    "ticket_override_cohandling": (
        "post",
        "ticket",
        _override_of,
        (DENIED, MISSING, FOUND, MISSING, FOUND, LOGIN),
    ),
    # 报到 and the part are the summoned department's members': none of the personas is one
    # (tests/tickets/test_cohandling.py shows a member doing both).
    "summons_acknowledge": (
        "post",
        "ticket",
        _summons_of,
        (DENIED, MISSING, DENIED, MISSING, DENIED, LOGIN),
    ),
    "summons_report": (
        "post",
        "ticket",
        _summons_of,
        (DENIED, MISSING, DENIED, MISSING, DENIED, LOGIN),
    ),
    # A community's rules for its requests: its staff and the levels above set them; to
    # workers and other streets' officers the page does not exist.
    "community_ticket_rules": (
        "get",
        "territory",
        _community,
        (MISSING, MISSING, OK, MISSING, OK, LOGIN),
    ),
    "ticket_photo": ("get", "photo", lambda p: {"pk": p.pk}, VIEW),
    # Residents: no sign-in; the tracking pages answer to whoever holds the 192-bit link
    # (tests/tickets/test_public.py shows they carry nothing about staff).
    "resident_request": ("get", "territory", lambda t: {"code": t.grid.code}, PUBLIC),
    "ticket_track": ("get", "ticket", lambda t: {"token": t.tracking_token}, PUBLIC),
    "track_photo": (
        "get",
        "photo",
        lambda p: {"token": p.ticket.tracking_token, "pk": p.pk},
        PUBLIC,
    ),
    "track_lookup": ("get", "territory", lambda t: {}, PUBLIC),
    "wish_wall": ("get", "territory", _community, PUBLIC),
    "wish_new": ("get", "territory", _community, PUBLIC),
    # A wish of C1 is for everyone who takes requests in C1: the neighbouring grid's worker
    # too (302: claimed). Officers do not take requests (tests/tickets/test_wishes.py).
    "wish_claim": (
        "post",
        "ticket",
        _wish_on_the_wall,
        (FOUND, FOUND, DENIED, DENIED, DENIED, LOGIN),
    ),
    # Recording a co-building unit is dispatching: the street officer of S1 (302: no unit
    # chosen, so nothing changes).
    "wish_unit": (
        "post",
        "ticket",
        _wish_on_the_wall,
        (DENIED, DENIED, FOUND, DENIED, FOUND, LOGIN),
    ),
    # Systems authenticate with their own token; a session is not one.
    "api_tickets": ("post", "territory", lambda t: {}, (401,) * 6),
    # Open311 (tickets/open311.py): the catalogue is public, requests need the token (api_key
    # or Bearer), which no session is; the API's root is nothing.
    "open311:services": ("get", "territory", lambda t: {"format": "json"}, PUBLIC),
    "open311:service_definition": (
        "get",
        "ticket",
        lambda t: {"service_code": t.matter.code, "format": "xml"},
        PUBLIC,
    ),
    "open311:requests": ("get", "territory", lambda t: {"format": "json"}, (401,) * 6),
    "open311:requests_create": ("post", "territory", lambda t: {"format": "json"}, (401,) * 6),
    "open311:request": (
        "get",
        "ticket",
        lambda t: {"service_request_id": t.short_code, "format": "json"},
        (401,) * 6,
    ),
    "open311:api-root": ("get", "territory", lambda t: {}, (MISSING,) * 6),
    "api_openapi": ("get", "territory", lambda t: {}, PUBLIC),
    # The operations page is the district command centre's (tests/notifications/test_inbox.py).
    "operations": ("get", "territory", lambda t: {}, _COMMAND_CENTRE),
    "calendar": ("get", "territory", lambda t: {}, _DISTRICT_ONLY),
    "calendar_delete": (
        "post",
        "territory",
        _calendar_day,
        (MISSING, MISSING, MISSING, MISSING, FOUND, LOGIN),
    ),
    "delivery_retry": (
        "post",
        "failed_delivery",
        _pk,
        (DENIED, DENIED, DENIED, DENIED, FOUND, LOGIN),
    ),
    "catalogue": ("get", "territory", lambda t: {}, _DISTRICT_ONLY),
    "matter_new": ("get", "territory", lambda t: {}, _DISTRICT_ONLY),
    "matter_edit": ("get", "ticket", _matter, _DISTRICT_ONLY),
    "matter_active": ("post", "ticket", _matter, _DISTRICT_WRITES),
    "department_new": ("get", "territory", lambda t: {}, _DISTRICT_ONLY),
    "department_edit": ("get", "territory", _department, _DISTRICT_ONLY),
    "department_active": ("post", "territory", _department, _DISTRICT_WRITES),
    "api_clients": ("get", "territory", lambda t: {}, _DISTRICT_ONLY),
    "api_client_detail": ("get", "territory", _api_client, _DISTRICT_ONLY),
    "api_client_rotate": ("post", "territory", _api_client, _DISTRICT_WRITES),
    "api_client_active": ("post", "territory", _api_client, _DISTRICT_WRITES),
    "api_client_callback": ("post", "territory", _api_client, _DISTRICT_WRITES),
    "api_client_callback_secret": ("post", "territory", _api_client, _DISTRICT_WRITES),
}

# Joint actions (联合执法 / 联合处置), of community C1 (tickets/joint_views.py). The list is for
# whoever sees the area; recording it, for those who dispatch there (grid workers do not see
# C1 at all: 404). An action is seen in its area, and by whoever sees one of its requests: the
# G1 worker, whose request it settled.
CASES["joint_actions"] = (
    "get",
    "territory",
    _community,
    (MISSING, MISSING, OK, MISSING, OK, LOGIN),
)
CASES["joint_action_new"] = (
    "get",
    "territory",
    _community,
    (MISSING, MISSING, OK, MISSING, OK, LOGIN),
)
CASES["joint_action_detail"] = ("get", "joint_action", _pk, VIEW)
CASES["joint_action_photo"] = (
    "get",
    "joint_action",
    lambda a: {"pk": a.photos.get().pk},
    VIEW,
)
