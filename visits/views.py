"""The grid worker's visit pages: my households and when each is due, and the visit form.

The form works as a plain POST with JavaScript off; static/js/visits.js adds a draft kept on
the phone, photos resized before upload, and a queue that sends what was logged offline. Its
requests ask for JSON; either way ``visits.services.log_visit`` treats a repeated ``client_id``
as the same visit. Over HTTPS the service worker (``/sw.js``) keeps these pages for a doorway
without a signal, and answers any household's form offline with ``offline_form`` filled in from
``offline_households``; any other page offline with ``offline_page``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import kept_bodies
from core.exports import Watermark, csv_response
from core.forms import NOT_SAVED, apply_errors, submit_form
from core.history import history_for
from core.navigation import listed
from core.paging import KnownCountPaginator, capped_count
from core.replica import bound, reads_from_replica
from grids.access import area_or_404
from grids.exports import export_gate
from grids.models import (
    GRID_PATH_LENGTH,
    Area,
    CareCategory,
    ExportKind,
    Household,
    Post,
    Resident,
    ResidentCare,
    household_q,
)
from grids.paging import SEARCH_COUNT_CAP
from grids.policy import TerritoryCapability, roles_holding
from grids.roles import COMMUNITY_LEVELS, Level
from grids.scope import can, path_q, scope_paths
from grids.search import household_matches
from grids.views import breadcrumbs
from visits import page_cache, selectors, services
from visits.forms import PlaceForm, VisitForm, VisitPlanForm
from visits.models import PLAN_LEVELS, VISIT_TAGS, Place, Visit, VisitKind, VisitPlan
from visits.policy import VisitCapability

PAGE_SIZE = 30
VIEWS = ("overdue", "today", "week", "all")


def _visitable(user):
    """Households where ``user`` logs visits (their grids, micro-grids, or community)."""
    return Household.objects.filter(household_q(scope_paths(user, VisitCapability.LOG_VISITS)))


def _places(user):
    return Place.objects.visible_to(user, VisitCapability.LOG_VISITS).filter(active=True)


def _panels(user) -> list[tuple[str, str, list]]:
    """(title, template, rows) of the other apps' panels on the visits page (their requests)."""
    shown = []
    for panel in listed("VISITS_PAGE_PANELS"):
        rows = list(panel.rows(user, None))
        if rows or panel.show_empty:
            shown.append((panel.title, panel.template, rows))
    return shown


@login_required
def my_visits(request):
    """走访: the worker's households, searchable, with when each is due."""
    if scope_paths(request.user, VisitCapability.LOG_VISITS) == []:
        raise PermissionDenied
    # Kept per worker, address and version of their grids' register (visits.page_cache), with
    # the panels that say their own version; the others render on every request.
    panels = listed("VISITS_PAGE_PANELS")
    kept_panels = all(panel.version for panel in panels)
    kept = kept_bodies.kept_or(
        page_cache.key(request, panels if kept_panels else []),
        lambda: _my_visits_parts(request, kept_panels),
    )
    return render(
        request,
        "visits/my_visits.html",
        {
            # Rendered by our own templates, escaped there.
            "head": mark_safe(kept["head"]),
            "panels": mark_safe(kept["panels"] if kept_panels else _panels_html(request)),
            "body": mark_safe(kept["body"]),
        },
    )


def _my_visits_parts(request, with_panels: bool) -> dict[str, str]:
    context = _my_visits_context(request)
    parts = {
        part: render_to_string(f"visits/_my_visits_{part}.html", context, request)
        for part in ("head", "body")
    }
    if with_panels:
        parts["panels"] = _panels_html(request)
    return parts


def _panels_html(request) -> str:
    return render_to_string(
        "visits/_my_visits_panels.html", {"panels": _panels(request.user)}, request
    )


def _my_visits_context(request) -> dict:
    view = request.GET.get("view", "today")
    view = view if view in VIEWS else "today"
    query = request.GET.get("q", "").strip()[:50]
    base = _visitable(request.user)
    # The worker's micro-grids (微网格), to walk one block at a time.
    micro_grids = list(
        Area.objects.filter(
            path_q(scope_paths(request.user, VisitCapability.LOG_VISITS), "path"),
            level=Level.MICRO_GRID,
        )
        .defer("boundary")  # named and linked, never drawn here
        .order_by("path")[:50]
    )
    micro = next((m for m in micro_grids if m.code == request.GET.get("micro")), None)
    if micro is not None:
        base = base.filter(micro_grid=micro)
    today = timezone.localdate()
    counts = base.aggregate(
        **{
            name: Count("pk", filter=Q(**selectors.due_filter(name, today)))
            for name in ("overdue", "today", "week")
        },
        all=Count("pk"),
    )
    rows = base.filter(**selectors.due_filter(view, today))
    if query:
        rows = rows.filter(household_matches(query))
    # A row shows its areas' names: their boundaries (JSON polygons) are not decoded.
    rows = (
        rows.select_related("grid", "micro_grid")
        .defer("grid__boundary", "micro_grid__boundary")
        .order_by("visit_due_on", "address", "pk")
    )
    # The tab's count is in the counts above; a search counts its matches, up to a cap.
    count, at_least = capped_count(rows, SEARCH_COUNT_CAP) if query else (counts[view], False)
    page = KnownCountPaginator(rows, PAGE_SIZE, count=count, at_least=at_least).get_page(
        request.GET.get("page")
    )
    shown = [h.pk for h in page]
    care: dict[int, set[str]] = {}
    for household_id, label in ResidentCare.objects.filter(
        resident__household__in=shown, resident__status=Resident.Status.LIVING
    ).values_list("resident__household_id", "category"):
        care.setdefault(household_id, set()).add(label)
    labels = dict(CareCategory.choices)
    for household in page:
        household.care_labels = [labels[c] for c in sorted(care.get(household.pk, ()))]
        household.overdue = household.visit_due_on is not None and household.visit_due_on < today
    places = list(
        _places(request.user).select_related("grid").defer("grid__boundary").order_by("name")[:50]
    )
    return {
        "page": page,
        "view": view,
        "query": query,
        "counts": counts,
        "tabs": [
            ("overdue", _("Overdue"), counts["overdue"]),
            ("today", _("Due today"), counts["today"]),
            ("week", _("This week"), counts["week"]),
            ("all", _("All"), counts["all"]),
        ],
        "today": today,
        "places": places,
        "micro_grids": micro_grids,
        "micro": micro,
    }


def _target(request, household_id, place_id) -> tuple[Household | None, Place | None]:
    """The household or place to visit: 404 if the user cannot see it, 403 if they see it
    but do not log visits there (a street officer, say)."""
    try:
        if household_id:
            household = get_object_or_404(
                Household.objects.visible_to(request.user).select_related("grid", "micro_grid"),
                pk=int(household_id),
            )
            household_place = (household, None)
        elif place_id:
            household_place = (
                None,
                get_object_or_404(
                    Place.objects.visible_to(request.user).select_related("grid"),
                    pk=int(place_id),
                    active=True,
                ),
            )
        else:
            raise Http404
    except ValueError:
        raise Http404 from None
    household, place = household_place
    if not can(
        request.user, VisitCapability.LOG_VISITS, household.area if household else place.grid
    ):
        raise PermissionDenied
    return household, place


def _form(request, data=None, files=None, initial=None) -> VisitForm:
    return VisitForm(data, files, initial=initial, follow_up_choices=services.follow_up_choices())


def _render_form(request, form, household, place, status=200):
    history = (household or place).visits.select_related("by").order_by("-visited_at")[:5]
    # Changes found at the door (a new phone, someone moved out, a care category) go through
    # the resident pages: the same validation and audit log as anywhere else.
    residents = []
    if household is not None and can(
        request.user, TerritoryCapability.EDIT_HOUSEHOLDS, household.area
    ):
        residents = household.residents.filter(status=Resident.Status.LIVING).order_by("pk")
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "household": household,
            "place": place,
            "history": history,
            "residents": residents,
            "draft_key": f"visit:{'household' if household else 'place'}:{(household or place).pk}",
        },
        status=status,
    )


def _new(request, household: Household | None, place: Place | None):
    has_care = (
        household is not None
        and ResidentCare.objects.filter(
            resident__household=household, resident__status=Resident.Status.LIVING
        ).exists()
    )
    kind = VisitKind.PATROL if place else VisitKind.CARE if has_care else VisitKind.ROUTINE
    form = _form(
        request,
        initial={
            "client_id": uuid.uuid4(),
            "household": household.pk if household else None,
            "place": place.pk if place else None,
            "kind": kind,
        },
    )
    return _render_form(request, form, household, place)


def _may_visit(user) -> bool:
    return scope_paths(user, VisitCapability.LOG_VISITS) != []


# The most households the phone keeps for offline forms: a grid has a few hundred; a
# community worker's whole scope stays a few hundred KB of JSON.
OFFLINE_HOUSEHOLDS = 5000


@login_required
@require_GET
def offline_households(request):
    """The worker's households, compact and without personal data (address and grid only),
    for the visit form the service worker opens offline. One query whatever their number."""
    if not _may_visit(request.user):
        raise PermissionDenied
    rows = (
        _visitable(request.user)
        .order_by("pk")
        .values_list("pk", "address", "grid__name", "micro_grid__name")[:OFFLINE_HOUSEHOLDS]
    )
    response = JsonResponse(
        {
            "households": [
                {"id": pk, "address": address, "where": " · ".join(filter(None, (grid, micro)))}
                for pk, address, grid, micro in rows
            ]
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def offline_form(request):
    """One visit form with no household: offline, the service worker answers any household's
    visit form with it, and visits.js fills in the household from the kept list."""
    if not _may_visit(request.user):
        raise PermissionDenied
    form = _form(request, initial={"client_id": uuid.uuid4(), "kind": VisitKind.ROUTINE})
    response = render(
        request,
        "visits/visit_form.html",
        {"form": form, "household": None, "place": None, "offline_form": True, "draft_key": ""},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def offline_page(request):
    """What the service worker shows for a page it does not keep, instead of a browser error.
    Nothing personal on it: the queue is read from the phone by visits.js."""
    response = render(request, "visits/offline.html", {"may_visit": _may_visit(request.user)})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def visit_household(request, pk):
    return _new(request, *_target(request, pk, None))


@login_required
def visit_place(request, pk):
    return _new(request, *_target(request, None, pk))


def _logged_message(logged: services.Logged) -> str:
    """ "Visit logged.", with the request it made by code and, if the worker may open it, a link."""
    parts = [format_html("{}", _("Visit logged."))]
    for made in logged.follow_ups:
        text = _("Request %(code)s was made for the follow-up.") % {"code": made.code}
        link = format_html(
            ' <a class="alert-link" href="{}">{}</a>', made.url, _("Open the request")
        )
        parts.append(format_html("{}{}", text, link if made.url else ""))
    return format_html_join(" ", "{}", ((part,) for part in parts))


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def visit_submit(request):
    try:
        household, place = _target(
            request, request.POST.get("household"), request.POST.get("place")
        )
    except (Http404, PermissionDenied) as refusal:
        if not _wants_json(request):
            raise
        # The offline queue shows this to the worker, in their language.
        missing = isinstance(refusal, Http404)
        message = (
            _("This household or place is not in your grid.")
            if missing
            else _("You do not log visits here.")
        )
        return JsonResponse({"errors": {"__all__": [message]}}, status=404 if missing else 403)
    form = _form(request, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            logged = services.log_visit(
                by=request.user,
                client_id=data["client_id"],
                kind=data["kind"],
                household=household,
                place=place,
                people_met=data["people_met"],
                findings=data["findings"],
                tags=data["tags"],
                photos=data["photos"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                follow_up=data["follow_up"],
                follow_up_choice=data.get("follow_up_matter") or "",
                visited_at=data["visited_at"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            url = (
                reverse("household_detail", args=[household.pk])
                if household
                else reverse("my_visits")
            )
            if logged.created:
                messages.success(request, _logged_message(logged))
            else:
                messages.info(request, _("This visit was already logged."))
            if _wants_json(request):
                return JsonResponse(
                    {
                        "status": "created" if logged.created else "exists",
                        "id": logged.visit.pk,
                        "url": url,
                        "follow_ups": [
                            {"code": made.code, "url": made.url} for made in logged.follow_ups
                        ],
                    },
                    status=201 if logged.created else 200,
                )
            return redirect(url, permanent=False)
    if _wants_json(request):
        errors = {
            field: [e["message"] for e in items]
            for field, items in form.errors.get_json_data().items()
        }
        return JsonResponse({"errors": errors}, status=400)
    return _render_form(request, form, household, place, status=400)


@login_required
@require_GET
def visit_sent(request, client_id):
    """Whether the server has this user's visit ``client_id``: the queue asks before sending
    again a visit whose last send it did not hear the end of (the page was left, the line
    dropped), so that a visit's photos go up once."""
    visit = Visit.objects.filter(client_id=client_id, by=request.user).first()
    if visit is None:
        # An answer, not an error: asking is routine after a dropped line.
        return JsonResponse({"status": "missing"})
    url = (
        reverse("household_detail", args=[visit.household_id])
        if visit.household_id
        else reverse("my_visits")
    )
    return JsonResponse({"status": "exists", "id": visit.pk, "url": url})


# --- Supervision: the community's view of visit coverage -----------------------------------------


def report_rows(area, today):
    """Per grid under ``area``: households, visited in 30 and 90 days, overdue, overdue care.

    Two grouped queries whatever the number of grids; visits per person a third.
    """
    grids = selectors.coverage_by_grid(Household.objects.under(area), today)
    names = dict(Area.objects.filter(pk__in=list(grids)).values_list("pk", "name"))
    rows = []
    for grid_id, row in sorted(grids.items(), key=lambda item: names.get(item[0], "")):
        total = row["total"] or 1
        rows.append(
            {
                "grid": names.get(grid_id, ""),
                "total": row["total"],
                "visited30": row["visited30"],
                "visited90": row["visited90"],
                "share30": round(100 * row["visited30"] / total),
                "share90": round(100 * row["visited90"] / total),
                "overdue": row["overdue"],
                "overdue_care": row["overdue_care"],
            }
        )
    return rows


def worker_rows(area, today):
    week_start = today - dt.timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(min(week_start, month_start), dt.time.min))
    week = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min))
    month = timezone.make_aware(dt.datetime.combine(month_start, dt.time.min))
    counted = {
        row["by"]: row
        for row in Visit.objects.filter(
            grid__path__startswith=area.path[:GRID_PATH_LENGTH], visited_at__gte=start
        )
        .values("by")
        .annotate(
            week=Count("pk", filter=Q(visited_at__gte=week)),
            month=Count("pk", filter=Q(visited_at__gte=month)),
        )
    }
    # Everyone posted to visit here is listed, those with no visit too.
    roles = roles_holding(VisitCapability.LOG_VISITS)
    people = {
        post.user_id: post.user
        for post in Post.objects.active(today)
        .filter(area__path__startswith=area.path, role__in=roles)
        .select_related("user")
    }
    missing = set(counted) - set(people)
    people.update({u.pk: u for u in get_user_model().objects.filter(pk__in=missing)})
    rows = [
        {
            "name": str(user),
            "week": counted.get(pk, {}).get("week", 0),
            "month": counted.get(pk, {}).get("month", 0),
        }
        for pk, user in people.items()
    ]
    return sorted(rows, key=lambda r: (-r["month"], r["name"]))


@login_required
def visit_report(request, code):
    """For community officers: who visits, and how much of the area is known."""
    area = area_or_404(request.user, code, VisitCapability.SUPERVISE_VISITS)
    today = timezone.localdate()
    rows = report_rows(area, today)
    totals = {
        key: sum(r[key] for r in rows)
        for key in ("total", "visited30", "visited90", "overdue", "overdue_care")
    }
    base = totals["total"] or 1
    totals["share30"] = round(100 * totals["visited30"] / base)
    totals["share90"] = round(100 * totals["visited90"] / base)
    return render(
        request,
        "visits/visit_report.html",
        {
            "area": area,
            "rows": rows,
            "totals": totals,
            "workers": worker_rows(area, today),
            "today": today,
            # The capability was checked above; the plan is set at these levels only.
            "has_plan": area.level in PLAN_LEVELS,
        },
    )


@login_required
@reads_from_replica()
def visit_report_export(request, code):
    """The last 90 days' visits under the area, one row each (addresses, no personal data)."""
    area = area_or_404(request.user, code, VisitCapability.SUPERVISE_VISITS)
    since = timezone.now() - dt.timedelta(days=90)
    # Streamed after the view returns: the database is chosen now.
    rows = bound(
        Visit.objects.filter(
            grid__path__startswith=area.path[:GRID_PATH_LENGTH], visited_at__gte=since
        )
        .select_related("grid", "household", "place", "by")
        .order_by("-visited_at", "-pk")
    )
    # Addresses and what was found at them: personal data, above the limit by approval.
    gate = export_gate(request, kind=ExportKind.VISITS, area=area, rows=rows.count())
    if not isinstance(gate, Watermark):
        return gate
    labels = {key: str(label) for key, label in VISIT_TAGS.items()}
    header = [
        _("Visited"),
        _("Grid"),
        _("Household or place"),
        _("Kind"),
        _("Visited by"),
        _("Quick picks"),
        _("Follow-up needed"),
        _("What was found"),
    ]

    def lines():
        for v in rows.iterator(chunk_size=2000):
            yield [
                timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"),
                v.grid.name,
                v.household.address if v.household else v.place.name,
                v.get_kind_display(),
                str(v.by),
                "、".join(labels.get(t, t) for t in v.tags),
                _("yes") if v.follow_up else "",
                v.findings,
            ]

    return csv_response(f"visits-{area.code}", header, lines(), watermark=gate)


@login_required
def area_places(request, code):
    """The places patrolled in an area; a grid's own workers add to its list."""
    area = area_or_404(request.user, code)
    can_add = area.level == Level.GRID and can(request.user, VisitCapability.LOG_VISITS, area)
    form = PlaceForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        saved = submit_form(
            request,
            form,
            lambda data, _version: services.create_place(by=request.user, grid=area, **data),
            _("Place added."),
        )
        if saved is not NOT_SAVED:
            return redirect("area_places", code=area.code)
    places = (
        Place.objects.visible_to(request.user)
        .filter(grid__path__startswith=area.path[:GRID_PATH_LENGTH])
        .select_related("grid")
        .order_by("grid__path", "name")
    )
    return render(
        request,
        "visits/area_places.html",
        {
            "area": area,
            "places": places[:200],
            "form": form if can_add else None,
            "can_patrol": can(request.user, VisitCapability.LOG_VISITS, area),
        },
    )


# --- Visit plans ----------------------------------------------------------------------------------


@login_required
def visit_plan(request, code):
    """A community's visit plan (or a street's default for its communities): which plan its
    households follow and where it comes from, and the form that changes it."""
    area = area_or_404(request.user, code, VisitCapability.SUPERVISE_VISITS, levels=PLAN_LEVELS)
    in_force = services.plan_in_force(area)
    form = VisitPlanForm(request.POST or None, plan=in_force.plan)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.set_plan(by=request.user, area=area, **form.plan_data()),
            _("Visit plan saved: the households' due dates follow it from now on."),
        )
        if saved is not NOT_SAVED:
            return redirect("visit_plan", code=area.code)
    communities = []
    if area.level not in COMMUNITY_LEVELS:
        children = Area.objects.get_children(area).filter(level__in=PLAN_LEVELS)
        with_plan = set(
            VisitPlan.objects.filter(area__in=children).values_list("area_id", flat=True)
        )
        communities = [(c, c.pk in with_plan) for c in children]
    street = Area.objects.get_parent(area) if area.level in COMMUNITY_LEVELS else None
    care = in_force.plan.care_days_full()
    own = in_force.source == VisitPlan.Source.OWN
    return render(
        request,
        "visits/visit_plan.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "in_force": in_force,
            "street": street,
            "form": form,
            "care_rows": [(label, care.get(key)) for key, label in CareCategory.choices],
            "communities": communities,
            "history": history_for(in_force.plan) if own else [],
        },
    )


@login_required
@require_POST
def visit_plan_reset(request, code):
    """Remove the area's own plan: a community falls back to its street's default, a street's
    communities without a plan to the built-in intervals."""
    area = area_or_404(request.user, code, VisitCapability.SUPERVISE_VISITS, levels=PLAN_LEVELS)
    plan = get_object_or_404(VisitPlan, area=area)
    services.delete_plan(by=request.user, plan=plan)
    messages.success(request, _("Own plan removed: the households' due dates follow the fallback."))
    return redirect("visit_plan", code=area.code)


# --- The service worker ---------------------------------------------------------------------------


@functools.cache
def _service_worker_script() -> str:
    # The static URLs change only with a release: render once per process.
    probe = render_to_string("visits/sw.js", {"version": ""})
    version = hashlib.sha256(probe.encode()).hexdigest()[:12]
    return render_to_string("visits/sw.js", {"version": version})


@never_cache
@require_GET
def service_worker(request):
    """/sw.js from the site's root, so that it may look after pages outside /static/.

    Rendered to carry the static files' (hashed) URLs; its asset cache is named after them,
    so a release with new assets replaces the old cache.
    """
    return HttpResponse(_service_worker_script(), content_type="text/javascript; charset=utf-8")
