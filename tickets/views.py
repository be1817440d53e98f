"""Staff pages for resident requests: the dispatch board, my tasks, a ticket, its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from branches.models import JointMeeting
from core import kept_bodies
from core.exports import Watermark, csv_response
from core.forms import NOT_SAVED, apply_errors, submit_form
from core.paging import KnownCountPaginator, capped_count, page_number
from core.redirects import local_redirect
from core.replica import bound, reads_from_replica
from grids import geo
from grids.exports import export_gate, widest_area
from grids.models import GRID_PATH_LENGTH, Area, ExportKind
from grids.roles import Level
from grids.scope import can, scope_paths
from grids.views import breadcrumbs
from tickets import (
    board_cache,
    cohandling_pages,
    page_cache,
    search,
    selectors,
    services,
    tasks_cache,
)
from tickets import rows as board_rows
from tickets.deadlines import due
from tickets.forms import (
    DEPARTMENT_PREFIX,
    ActionForm,
    AssignForm,
    BoardFilterForm,
    DecisionTicketForm,
    EscalateForm,
    MergeForm,
    ResolveForm,
    StaffTicketForm,
    handler_choices,
    rendered_fields,
)
from tickets.models import Channel, Department, Event, Photo, Ticket
from tickets.policy import TicketCapability, may_dispatch

PAGE_SIZE = 25
# Matches a searched or filtered board counts at most ("More than 1,000 requests"), or as far
# as the page asked if that is further: 40 pages of 25.
COUNT_CAP = 1000
TASKS_PAGE_SIZE = 30
A = Event.Action


def _ticket(request, code: str) -> Ticket:
    """A ticket the user may see, by its short code, for an action; 404 otherwise. Joined
    with what the rules of ``services.allowed_actions`` read (its area, department, matter): the
    service locks and reads the row again with what the transition needs. Whether the user
    may see it is ``Ticket.objects.visible_to`` compiled once per viewer and prepared
    (``page_cache.visible``): built afresh, it was a third of an action's time."""
    ticket = (
        Ticket.objects.select_related("area", "department", "matter")
        .filter(short_code=code.upper())
        .first()
    )
    if ticket is None or not page_cache.visible(request.user, ticket.pk):
        raise Http404
    return ticket


def _filtered(request, base):
    form = BoardFilterForm(request.GET or None)
    view = "new"
    rows = base
    if form.is_bound and not form.is_valid():
        # A filter that is not one is shown with its error and applied to nothing; the tab
        # asked for stays.
        view = form.cleaned_data.get("view") or "new"
    elif form.is_valid():
        data = form.cleaned_data
        view = data["view"] or "new"
        if data["q"]:
            rows = rows.filter(search.matching(data["q"]))
        if data["category"]:
            rows = rows.filter(matter__category=data["category"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["grid"]:
            rows = rows.filter(area__code=data["grid"])
        if data["since"]:
            rows = rows.filter(submitted_at__date__gte=data["since"])
        if data["until"]:
            rows = rows.filter(submitted_at__date__lte=data["until"])
    return form, view, rows.filter(selectors.view_filter(view, request.user))


# The tabs whose rows can be given to someone from the board: accepted and assigned in one step
# (待受理), or assigned (待派单).
PICKING_VIEWS = ("new", "unassigned")


@login_required
def board(request):
    """派单: what dispatchers must act on in their areas. The body is kept per version of the
    scope's requests (``tickets.board_cache``): warm, the page costs the one query that reads
    that version with the tabs' counts."""
    kept, version = selectors.kept_counts(request.user)
    paths = scope_paths(request.user, TicketCapability.DISPATCH_TICKETS)
    body = kept_bodies.kept_or(
        board_cache.key(request, paths, version), lambda: _board_body(request, kept)
    )
    return render(request, "tickets/board.html", {"body": kept_bodies.signed(body, request)})


def _board_body(request, kept) -> str:
    base = selectors.dispatchable(request.user)
    form, view, rows = _filtered(request, base)
    # A slim page first; only rows that changed since they were last shown are rendered.
    rows = rows.order_by("response_due" if view == "new" else "-submitted_at", "pk").values_list(
        *board_rows.SLIM, named=True
    )
    counts = selectors.board_counts(request.user, base, kept)
    filtering = any(v for k, v in request.GET.items() if k not in ("view", "page"))
    asked = request.GET.get("page")
    # The view's tab already counted its rows: no second COUNT over the same requests (a tab
    # counted only so far is "more than", until its rows show where it ends). A search or a
    # filter counts its matches, as far as the page asked or a thousand.
    if not filtering and view in counts:
        count, at_least = counts[view], view in counts.capped
    else:
        count, at_least = capped_count(rows, max(COUNT_CAP, (page_number(asked) + 1) * PAGE_SIZE))
    page = KnownCountPaginator(rows, PAGE_SIZE, count=count, at_least=at_least).get_page(asked)
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    rendered = board_rows.render(page.object_list, selectable=view in PICKING_VIEWS, now=now)
    assign_form, entries = None, [(row, html, None) for row, html in rendered]
    if view in PICKING_VIEWS and rendered:
        # Who can be given work, with role and load: one query for people, one for
        # departments, however many rows the page holds.
        paths = dict(
            Area.objects.filter(pk__in={row.area_id for row, _html in rendered}).values_list(
                "pk", "path"
            )
        )
        grids = sorted({path[:GRID_PATH_LENGTH] for path in paths.values()})
        people = list(services.assignable_people(request.user, within=grids))
        departments = list(services.assignable_departments())
        assign_form = AssignForm(
            initial={"version": 0}, people=people, departments=departments, place=True
        )
        if view == "new":
            entries = _row_pickers(rendered, paths, people, departments)
    return render_to_string(
        "tickets/_board_body.html",
        {
            "request": request,
            "csrf_token": kept_bodies.CSRF_PLACEHOLDER,
            "form": form,
            "view": view,
            "page": page,
            "entries": entries,
            "counts": counts,
            "badges": {
                tab: pgettext("a count that is more", "%(count)s+") % {"count": intcomma(n)}
                if tab in counts.capped
                else n
                for tab, n in counts.items()
            },
            "categories": form.fields["category"].queryset,
            "filtering": filtering,
            "now": now,
            "query": query.urlencode(),
            "assign_form": assign_form,
        },
    )


def _row_pickers(rendered, paths: dict, people: list, departments: list) -> list:
    """Each row of the to-accept tab with its picker: the people placed in the request's grid
    (as ``services.assignable_people`` finds them for that one request), then the departments.
    Rendered once per grid on the page, from the candidates already read, and the paths of
    the page's areas."""
    template = get_template("tickets/_handler_options.html")
    by_grid: dict[str, str] = {}
    entries = []
    for row, html in rendered:
        grid = paths[row.area_id][:GRID_PATH_LENGTH]
        if grid not in by_grid:
            here = [p for p in people if services.placed_in(p, grid)]
            by_grid[grid] = template.render({"groups": handler_choices(here, departments)[1:]})
        entries.append((row, html, by_grid[grid]))
    return entries


@login_required
@reads_from_replica()
def export(request):
    base = selectors.dispatchable(request.user)
    _form, _view, rows = _filtered(request, base)
    # Streamed after the view returns: the database is chosen now.
    rows = bound(
        rows.select_related("matter__category", "area", "assignee").order_by("-submitted_at")
    )
    # Reporters' descriptions and addresses: personal data, above the limit by approval.
    gate = export_gate(
        request,
        kind=ExportKind.REQUESTS,
        area=widest_area(request.user, TicketCapability.DISPATCH_TICKETS),
        rows=rows.count(),
        capability=TicketCapability.DISPATCH_TICKETS,
    )
    if not isinstance(gate, Watermark):
        return gate

    header = [
        _("Code"),
        pgettext("when, column heading", "Submitted"),
        _("Channel"),
        _("Category"),
        _("Matter"),
        _("Area"),
        _("Status"),
        _("Assignee"),
        _("Response due"),
        _("Completion due"),
        _("Mobile number"),
        _("Satisfaction"),
    ]

    def lines():
        for t in rows.iterator(chunk_size=2000):
            yield [
                t.short_code,
                timezone.localtime(t.submitted_at).strftime("%Y-%m-%d %H:%M"),
                t.get_channel_display(),
                t.matter.category.name,
                t.matter.name,
                t.area.name,
                t.status_label,
                str(t.assignee or ""),
                timezone.localtime(t.response_due).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(t.completion_due).strftime("%Y-%m-%d %H:%M")
                if t.completion_due
                else "",
                t.masked_reporter_phone,
                t.rating or "",
            ]

    return csv_response("requests", header, lines(), watermark=gate)


@login_required
def my_tasks(request):
    """接单 and my work, phone first, ordered by due time, a page at a time: a worker covering
    for colleagues, or after a mass hand-over, can hold thousands (every row rendered made the
    page time out at district scale). Kept per viewer and version (tickets.tasks_cache)."""
    key, departments = tasks_cache.key_and_departments(
        request, selectors.task_assignees(request.user)
    )
    body = kept_bodies.kept_or(key, lambda: _my_tasks_body(request, departments))
    return render(request, "tickets/my_tasks.html", {"body": kept_bodies.signed(body, request)})


def _my_tasks_body(request, departments: list[int]) -> str:
    tasks = selectors.my_tasks(request.user)
    page = Paginator(tasks.values_list("pk", flat=True), TASKS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render_to_string(
        "tickets/_my_tasks_body.html",
        {
            "csrf_token": kept_bodies.CSRF_PLACEHOLDER,
            "tasks": selectors.in_order(tasks, list(page.object_list)),
            "page": page,
            "parts": selectors.summoned_parts(request.user, departments)[:50],
            "to_accept": selectors.to_accept(request.user)[:30],
            "pool": selectors.open_pool(request.user)[:30],
            "now": timezone.now(),
        },
        request,
    )


@login_required
def ticket_new(request):
    """Staff enter a phone or walk-in request; workers report from the field."""
    grids = Area.objects.visible_to(request.user).filter(
        level__in=[Level.GRID, Level.COMMUNITY, Level.VILLAGE]
    )
    area = None
    if request.GET.get("area") or request.POST.get("area"):
        area = get_object_or_404(grids, code=request.GET.get("area") or request.POST.get("area"))
    dispatcher = area is not None and can(request.user, TicketCapability.DISPATCH_TICKETS, area)
    channels = (Channel.STAFF, Channel.FIELD) if dispatcher else (Channel.FIELD,)
    form = StaffTicketForm(request.POST or None, request.FILES or None, channels=channels)
    if request.method == "POST" and area is not None and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.submit(
                channel=data.get("channel", Channel.FIELD),
                matter=data["matter"],
                description=data["description"],
                address=data["address"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                longitude=data["longitude"],
                latitude=data["latitude"],
                grid=area if area.level == Level.GRID else None,
                community=area if area.level != Level.GRID else None,
                photos=data["photos"],
                by=request.user,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Request %(code)s reported.") % {"code": ticket.short_code})
            return redirect("ticket_detail", code=ticket.short_code)
    return render(
        request,
        "tickets/ticket_new.html",
        {
            "form": form,
            "area": area,
            "grids": grids.order_by("path")[:500],
        },
    )


def _page_ticket(request, code: str) -> Ticket:
    """The ticket for its page: the joins every page shows, and whether it has summonses,
    joint actions or photos outside the timeline, so that none of those is looked for when
    there is none. What a few requests have (a unit, a merge, a meeting's decision) is read
    when it is there, not joined for every request: planning a wide join costs more than
    the rare query."""
    from tickets.models import JointAction, Summons

    ticket = get_object_or_404(
        Ticket.objects.visible_to(request.user)
        .select_related("matter__category", "area", "assignee", "department")
        .annotate(
            has_summonses=Exists(Summons.objects.filter(ticket_id=OuterRef("pk"))),
            has_joint_actions=Exists(
                JointAction.tickets.through.objects.filter(ticket_id=OuterRef("pk"))
            ),
            has_loose_photos=Exists(
                Photo.objects.filter(ticket_id=OuterRef("pk"), event__isnull=True)
            ),
            user_in_department=Exists(
                Department.members.through.objects.filter(
                    department_id=OuterRef("department_id"), user_id=request.user.pk
                )
            ),
        ),
        short_code=code.upper(),
    )
    ticket.user_in_department_for = request.user.pk  # tickets.policy.in_department
    return ticket


def _timeline(ticket: Ticket) -> tuple[list[Event], list[Photo]]:
    """The ticket's events, each with its photos (``photo_list``), in one query (a row per
    event and photo); and the photos attached to no event, read only when there are some."""
    rows = (
        ticket.events.select_related("actor", "on_behalf_of")
        .annotate(photo_pk=F("photos__pk"), photo_processed=F("photos__processed"))
        .order_by("at", "pk", "photos__pk")
    )
    events: list[Event] = []
    for row in rows:
        if not events or events[-1].pk != row.pk:
            row.photo_list = []
            events.append(row)
        if row.photo_pk is not None:
            events[-1].photo_list.append(
                Photo(pk=row.photo_pk, ticket_id=ticket.pk, processed=row.photo_processed)
            )
    loose = list(ticket.photos.filter(event__isnull=True)) if ticket.has_loose_photos else []
    return events, loose


class _Departments:
    """The active departments, read at most once for the page's pickers (assign, escalate,
    summon): with their open requests (``with_load``) when the assign picker shows them,
    which is asked first."""

    def __init__(self):
        self._rows: list | None = None

    def with_load(self) -> list:
        self._rows = list(services.assignable_departments())
        return self._rows

    def all(self) -> list:
        if self._rows is None:
            self._rows = list(Department.objects.filter(active=True))
        return self._rows


def department_choices(departments: list, *, blank: bool = True) -> list:
    return [*([("", "---------")] if blank else []), *((d.pk, d.name) for d in departments)]


@login_required
def ticket_detail(request, code):
    """A request's page, kept per version of what it shows and viewer
    (``tickets.page_cache``): warm, one query says it is still current and theirs."""
    key = page_cache.key(request, code)
    page = kept_bodies.read(key)
    if page is None or not page_cache.current(request.user, page):
        ticket = _page_ticket(request, code)
        page = {
            "pk": ticket.pk,
            "version": ticket.page_version,
            "title": f"{ticket.short_code} · {ticket.matter.name}",
            **_ticket_body(request, ticket),
        }
        kept_bodies.keep(key, page)
    return render(
        request,
        "tickets/ticket_detail.html",
        {
            "title": page["title"],
            "crumbs": page["crumbs"],
            "body": kept_bodies.signed(page["body"], request),
        },
    )


def _ticket_body(request, ticket: Ticket) -> dict[str, str]:
    events, loose_photos = _timeline(ticket)
    actions = services.allowed_actions(request.user, ticket)
    shapes, size = ([], (0, 0))
    if ticket.area.geometry is not None:
        shapes, size = geo.svg_shapes([("area", ticket.area.geometry)])
    point = None
    if ticket.longitude is not None and ticket.area.geometry is not None:
        point = geo.svg_point(ticket.area.geometry, ticket.longitude, ticket.latitude)
    version = {"version": ticket.version}
    # A grid worker whose community lets them accept (受理) does not assign: Accept alone.
    accept_first = A.ACCEPT in actions and may_dispatch(request.user, ticket)
    departments = _Departments()
    assign_form = None
    if A.ASSIGN in actions or accept_first:
        # A request not yet accepted is accepted and assigned in one step (受理并派单).
        assign_form = AssignForm(
            people=services.assignable_people(request.user, ticket),
            departments=departments.with_load(),
            initial=version,
        )
    escalate_form = None
    if A.ESCALATE in actions:
        form = EscalateForm()
        # The departments already read: the field's queryset would read them again.
        choices = department_choices(departments.all())
        form.fields["department"].choices = choices
        escalate_form = rendered_fields(form, choices=choices)
    cohandling = cohandling_pages.panel(request.user, ticket, departments=departments.all)
    if cohandling["summonses"]:  # the lead's 报到 is on its line of the departments panel
        actions = [a for a in actions if a != A.ACKNOWLEDGE]
    crumbs = render_to_string(
        "grids/_breadcrumbs.html",
        {"breadcrumbs": [*breadcrumbs(request, ticket.area), (ticket.area, True)]},
    )
    body = render_to_string(
        "tickets/_ticket_body.html",
        {
            "request": request,
            "csrf_token": kept_bodies.CSRF_PLACEHOLDER,
            "ticket": ticket,
            "area": ticket.area,
            "events": events,
            "photos": loose_photos,
            "actions": actions,
            "quick_actions": [
                a for a in actions if a in (A.ACCEPT, A.CLAIM, A.START, A.ACKNOWLEDGE)
            ],
            "note_actions": [a for a in actions if a in (A.REJECT, A.RETURN, A.SUSPEND, A.RESUME)],
            "now": timezone.now(),
            "shapes": shapes,
            "map_size": size,
            "point": point,
            "duplicates": selectors.possible_duplicates(ticket) if A.MERGE in actions else [],
            "assign_form": assign_form,
            "assign_url": reverse(
                "ticket_accept_assign" if accept_first else "ticket_act",
                kwargs={"code": ticket.short_code} | ({} if accept_first else {"action": A.ASSIGN}),
            ),
            "accept_first": accept_first,
            "deadline": ticket.completion_due
            or (
                due(timezone.now(), ticket.matter.completion_limit, ticket.matter.completion_unit)
                if A.ACCEPT in actions
                else None
            ),
            "resolve_form": ResolveForm(initial=version) if A.RESOLVE in actions else None,
            "merge_form": rendered_fields(MergeForm()) if A.MERGE in actions else None,
            "escalate_form": escalate_form,
            **cohandling,
        },
    )
    return {"crumbs": crumbs, "body": body}


_SIMPLE = {
    A.ACCEPT: lambda by, t, v, data: services.accept(
        by=by, ticket=t, expected_version=v, note=data["note"]
    ),
    A.REJECT: lambda by, t, v, data: services.reject(
        by=by, ticket=t, expected_version=v, reason=data["note"]
    ),
    A.CLAIM: lambda by, t, v, data: services.claim(by=by, ticket=t, expected_version=v),
    A.START: lambda by, t, v, data: services.start(by=by, ticket=t, expected_version=v),
    A.RETURN: lambda by, t, v, data: services.return_to_dispatch(
        by=by, ticket=t, expected_version=v, reason=data["note"]
    ),
    A.SUSPEND: lambda by, t, v, data: services.suspend(
        by=by, ticket=t, expected_version=v, reason=data["note"]
    ),
    A.RESUME: lambda by, t, v, data: services.resume(
        by=by, ticket=t, expected_version=v, note=data["note"]
    ),
    A.ACKNOWLEDGE: lambda by, t, v, data: services.acknowledge(by=by, ticket=t, expected_version=v),
}


def _posted_version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def ticket_act(request, code, action):
    """Every staff action on a ticket; the service decides whether it is allowed."""
    ticket = _ticket(request, code)
    forms = {
        A.ASSIGN: AssignForm,
        A.RESOLVE: ResolveForm,
        A.MERGE: MergeForm,
        A.ESCALATE: EscalateForm,
    }
    if action not in _SIMPLE and action not in forms:
        raise Http404
    # The version first: an action on a copy someone has since changed (a colleague accepted
    # it, the sweep escalated it) is answered "it changed", not "you may not".
    if _posted_version(request) not in (None, ticket.version):
        messages.warning(request, services.StaleTicket.message)
        return redirect("ticket_detail", code=ticket.short_code)
    if action not in services.allowed_actions(request.user, ticket):
        raise PermissionDenied  # not in this state, or not this user's to do
    if action == A.ASSIGN:
        form = _assign_form(request.user, ticket, data=request.POST)
    else:
        form = forms.get(action, ActionForm)(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("ticket_detail", code=ticket.short_code)
    data, version = form.cleaned_data, form.cleaned_data["version"]
    try:
        if action in _SIMPLE:
            _SIMPLE[action](request.user, ticket, version, data)
        elif action == A.ASSIGN:
            services.assign(
                by=request.user,
                ticket=ticket,
                expected_version=version,
                assignee=data["assignee"],
                department=data["department"],
                note=data["note"],
            )
        elif action == A.RESOLVE:
            services.resolve(
                by=request.user,
                ticket=ticket,
                expected_version=version,
                result=data["note"],
                photos=data["photos"],
            )
        elif action == A.MERGE:
            into = get_object_or_404(
                Ticket.objects.visible_to(request.user), short_code=data["into"].strip().upper()
            )
            services.merge(by=request.user, ticket=ticket, into=into, expected_version=version)
        elif action == A.ESCALATE:
            services.escalate(
                by=request.user,
                ticket=ticket,
                expected_version=version,
                reason=data["note"],
                to_department=data["department"],
            )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": A(action).label})
        if (
            action == A.ESCALATE
            and not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists()
        ):
            return redirect("ticket_board")  # escalated out of this user's areas
    return redirect("ticket_detail", code=ticket.short_code)


def _assign_form(user, ticket: Ticket, **kwargs) -> AssignForm:
    data = kwargs.get("data")
    if data is not None:
        return AssignForm(**_chosen(data.get("assignee", "")), **kwargs)
    return AssignForm(
        people=services.assignable_people(user, ticket),
        departments=services.assignable_departments(),
        **kwargs,
    )


def _chosen(value: str) -> dict:
    """A posted picker's candidates: only the one chosen, if it is a person or a department
    at all; whether it may be given the request is the service's rule (``services.assign``
    checks it against ``assignable_people``). Every candidate with their roles and loads is
    what the picker shows, not what checking a choice needs: at district scale the
    departments' loads count tens of thousands of requests."""
    people, departments = [], []
    if value.isdigit():
        people = list(
            get_user_model()
            .objects.filter(pk=int(value), is_active=True)
            # Shown nowhere: the form is checked, not rendered.
            .annotate(role=Value(""), post_area=Value(""), load=Value(0))
        )
    elif value.startswith(DEPARTMENT_PREFIX) and value[len(DEPARTMENT_PREFIX) :].isdigit():
        departments = list(
            Department.objects.filter(active=True, pk=int(value[len(DEPARTMENT_PREFIX) :]))
            # Shown nowhere: the form is checked, not rendered.
            .annotate(load=Value(0))
        )
    return {"people": people, "departments": departments}


@login_required
@require_POST
def accept_assign(request, code):
    """受理并派单: accept a new request and give it to someone in one step, from the board's
    to-accept tab or the request's page. Back to where it was asked from."""
    ticket = _ticket(request, code)
    back = request.POST.get("next")
    if not may_dispatch(request.user, ticket):
        raise PermissionDenied
    if _posted_version(request) not in (None, ticket.version):
        # A colleague accepted it, or the sweep escalated it, since the page was shown.
        messages.warning(request, services.StaleTicket.message)
        return local_redirect(request, back, "ticket_detail", code=ticket.short_code)
    form = _assign_form(request.user, ticket, data=request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return local_redirect(request, back, "ticket_detail", code=ticket.short_code)
    data = form.cleaned_data
    try:
        ticket = services.accept_and_assign(
            by=request.user,
            ticket=ticket,
            expected_version=data["version"],
            assignee=data["assignee"],
            department=data["department"],
            note=data["note"],
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(code)s accepted and assigned to %(who)s.")
            % {"code": ticket.short_code, "who": data["assignee"] or data["department"].name},
        )
    return local_redirect(request, back, "ticket_detail", code=ticket.short_code)


@login_required
@require_POST
def bulk_assign(request):
    """Assign the chosen requests (待派单), or accept and assign them (待受理, ``accept``)."""
    form = AssignForm(request.POST, **_chosen(request.POST.get("assignee", "")))
    codes = request.POST.getlist("codes")
    if not form.is_valid() or not codes:
        messages.error(request, _("Choose requests and a person or department."))
        return local_redirect(request, request.POST.get("next"), "ticket_board")
    write = services.accept_and_assign if request.POST.get("accept") else services.assign
    done, refused = 0, []
    for ticket in Ticket.objects.visible_to(request.user).filter(short_code__in=codes[:100]):
        try:
            write(
                by=request.user,
                ticket=ticket,
                assignee=form.cleaned_data["assignee"],
                department=form.cleaned_data["department"],
            )
            done += 1
        except services.StaleTicket as error:
            refused.append(f"{ticket.short_code}: {error.message}")
        except (ValidationError, PermissionDenied) as error:
            refused.append(
                f"{ticket.short_code}: {' '.join(getattr(error, 'messages', [str(error)]))}"
            )
    if done:
        messages.success(request, _("%(n)s requests assigned.") % {"n": done})
    for line in refused:
        messages.error(request, line)
    return local_redirect(request, request.POST.get("next"), "ticket_board")


@login_required
def decision_ticket(request, pk):
    """File a joint meeting's decision as a request the community dispatches (联席会议 → 工单)."""
    from branches.models import MeetingDecision

    decision = get_object_or_404(
        MeetingDecision.objects.select_related("meeting__community"),
        pk=pk,
        meeting__in=JointMeeting.objects.visible_to(request.user),
    )
    community = decision.meeting.community
    if not can(request.user, TicketCapability.DISPATCH_TICKETS, community):
        raise PermissionDenied
    form = DecisionTicketForm(
        request.POST or None,
        community=community,
        initial={"description": f"{decision.meeting.title}：{decision.text}"},
    )
    ticket = submit_form(
        request,
        form,
        lambda data, _v: services.submit(
            channel=Channel.STAFF,
            matter=data["matter"],
            description=data["description"],
            grid=data["grid"],
            community=None if data["grid"] else community,
            by=request.user,
            decision=decision,
        ),
        _("Request filed from the meeting's decision."),
    )
    if ticket is not NOT_SAVED:
        return redirect("ticket_detail", code=ticket.short_code)
    return render(
        request,
        "tickets/decision_ticket.html",
        {
            "form": form,
            "decision": decision,
            "area": community,
            "breadcrumbs": [*breadcrumbs(request, community), (community, True)],
        },
    )


@login_required
def photo(request, pk):
    picture = get_object_or_404(Photo.objects.select_related("ticket"), pk=pk)
    if not Ticket.objects.visible_to(request.user).filter(pk=picture.ticket_id).exists():
        raise Http404
    return picture.serve()
