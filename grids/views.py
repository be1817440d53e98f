from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from core import kept_bodies
from core.clientip import client_ip
from core.exports import Watermark, csv_response
from core.forms import NOT_SAVED, apply_errors, submit_form
from core.history import history_for
from core.navigation import Section
from core.paging import KnownCountPaginator, capped_count
from core.replica import bound, reads_from_replica
from grids import exports, geo, list_cache, navigation, paging, selectors, services
from grids.access import area_or_404
from grids.cover import COVERED_ROLES
from grids.forms import (
    CoverForm,
    GivePostForm,
    HouseholdForm,
    HouseholdSearchForm,
    LeaveDatesForm,
    LeaveForm,
    PersonForm,
    PostForm,
    ResidentFilterForm,
    ResidentForm,
    RevealForm,
)
from grids.models import (
    Area,
    CareCategory,
    ExportApproval,
    ExportKind,
    Household,
    Leave,
    Post,
    Resident,
    ResidentCare,
    household_q,
)
from grids.paging import tallied_households, tallied_residents
from grids.policy import TerritoryCapability
from grids.roles import GRID_DEPTH, Level
from grids.scope import active_posts, can, scope_paths
from grids.search import find_households, find_residents

PAGE_SIZE = 25

# Households and residents are personal data: no shared cache, nothing on disk.
PERSONAL_PAGE = cache_control(private=True, no_store=True)


# --- Access helpers: the only ways a view reaches a scoped object ---------------------------


def _household(
    request, pk: int, capability: str = TerritoryCapability.VIEW_HOUSEHOLDS
) -> Household:
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("grid", "micro_grid"), pk=pk
    )
    if capability != TerritoryCapability.VIEW_HOUSEHOLDS and not can(
        request.user, capability, household.area
    ):
        raise PermissionDenied
    return household


def _resident(request, pk: int, capability: str) -> Resident:
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related(
            "household__grid", "household__micro_grid"
        ),
        pk=pk,
    )
    if not can(request.user, capability, resident.household.area):
        raise PermissionDenied
    return resident


def breadcrumbs(
    request, area: Area, ancestors: list[Area] | None = None
) -> list[tuple[Area, bool]]:
    """The areas above ``area`` (read here unless the caller already has them), each with
    whether the user may open it."""
    if ancestors is None:
        ancestors = list(Area.objects.get_ancestors(area))
    return [(a, can(request.user, TerritoryCapability.VIEW_TERRITORY, a)) for a in ancestors]


# --- Pages ----------------------------------------------------------------------------------


@login_required
def home(request):
    """Where a user lands: the page the role of their most senior post opens most (a grid
    worker's visits, a community's dispatch board, the district's dashboard), else their area."""
    posts = active_posts(request.user)
    if posts:
        landing = navigation.landing(posts[0])
        if landing:
            return redirect(landing)
    return my_area(request)


@login_required
def my_area(request):
    """The page of the area of the user's most senior post (the navbar's "My area")."""
    posts = active_posts(request.user)
    if posts:
        return redirect("area_detail", code=posts[0].area.code)
    if request.user.is_superuser:
        root = Area.objects.get_root_nodes().first()
        if root is not None:
            return redirect("area_detail", code=root.code)
    elsewhere = navigation.home_without_post(request.user)
    if elsewhere:
        return redirect(elsewhere)
    return render(request, "grids/no_posts.html")


@login_required
def area_detail(request, code):
    area = area_or_404(request.user, code)
    see_households = can(request.user, TerritoryCapability.VIEW_HOUSEHOLDS, area)
    overview = selectors.overview(area, show_households=see_households)
    team_depth = area.depth + (1 if area.level == Level.GRID else 0)
    team = (
        Post.objects.active()
        .filter(area__path__startswith=area.path, area__depth__lte=team_depth)
        .select_related("user", "area")
        .order_by("area__path", "role", "user__username")
    )
    manage_posts = can(request.user, TerritoryCapability.MANAGE_POSTS, area)
    if manage_posts:
        team = list(team)
        for post in team:
            post.endable = services.may_end(request.user, post)
    shapes, size = geo.svg_shapes([(c, c.area.geometry) for c in overview.children])
    return render(
        request,
        "grids/area_detail.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "overview": overview,
            "team": team,
            "shapes": shapes,
            "map_size": size,
            "see_households": see_households,
            "can_manage_posts": manage_posts,
            "sections": navigation.area_sections(
                request.user, area, *_own_sections(request.user, area, see_households)
            ),
        },
    )


def _own_sections(user, area, see_households: bool):
    """(section, label, URL) of this app's own pages of an area: those shown first in their
    theme, and those shown last (the export, a download)."""
    own = []
    if see_households:
        own.append((Section.PEOPLE, _("Households"), reverse("household_list", args=[area.code])))
        own.append((Section.PEOPLE, _("Residents"), reverse("resident_list", args=[area.code])))
    if area.level == Level.GRID and can(user, TerritoryCapability.EDIT_HOUSEHOLDS, area):
        own.append(
            (Section.PEOPLE, _("Add household"), reverse("household_create", args=[area.code]))
        )
    own.append((Section.PEOPLE, _("1+3+N staffing"), reverse("area_staffing", args=[area.code])))
    last = []
    if can(user, TerritoryCapability.EXPORT, area):
        last.append(
            (
                Section.PEOPLE,
                _("Export residents (masked)"),
                reverse("household_export", args=[area.code]),
            )
        )
    if area.numchild:
        own.append(
            (Section.SETTINGS, _("Boundary coverage"), reverse("area_coverage", args=[area.code]))
        )
    return own, last


@login_required
@PERSONAL_PAGE
def household_list(request, code):
    area = area_or_404(request.user, code, TerritoryCapability.VIEW_HOUSEHOLDS)
    may_add = area.level == Level.GRID and can(
        request.user, TerritoryCapability.EDIT_HOUSEHOLDS, area
    )
    may_export = can(request.user, TerritoryCapability.EXPORT, area)
    # Kept per area, address and version of the register (grids.list_cache), else rendered.
    body = kept_bodies.kept_or(
        list_cache.key(request, area, "households", (may_add, may_export)),
        lambda: _household_list_body(request, area, may_add=may_add, may_export=may_export),
    )
    return render(
        request,
        "grids/household_list.html",
        # Rendered by our own templates, escaped there.
        {"area": area, "breadcrumbs": breadcrumbs(request, area), "body": mark_safe(body)},
    )


def _household_list_body(request, area: Area, *, may_add: bool, may_export: bool) -> str:
    form = HouseholdSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # The user holds the capability over the whole area (area_or_404): visible_to is a guard.
    households = Household.objects.visible_to(request.user).under(area)
    # Never a COUNT of every household per page: unfiltered, the grid tallies; a search, its
    # matches counted up to a cap, or not at all in the whole district (one root area), where
    # the search already knows how many households match or that they are more than PROBE.
    if not query:
        count, at_least = tallied_households(area), False
    else:
        matches = find_households(query)
        households = households.filter(matches.q)
        if area.is_root() and matches.households is not None:
            count, at_least = matches.households, False
        elif area.is_root():
            count, at_least = paging.SEARCH_COUNT_CAP, True
        else:
            count, at_least = capped_count(households, paging.SEARCH_COUNT_CAP)
    page = KnownCountPaginator(
        households.select_related("grid", "micro_grid")
        # A row shows its areas' names: their boundaries (JSON polygons) are not decoded.
        .defer("grid__boundary", "micro_grid__boundary")
        # The unique (grid, address) index serves this order: no sort of every household.
        .order_by("grid_id", "address"),
        PAGE_SIZE,
        count=count,
        at_least=at_least,
    ).get_page(request.GET.get("page"))
    # Counts and heads for the rows shown only, not grouped over the whole area.
    shown = [h.pk for h in page]
    counts = dict(
        Resident.objects.filter(household__in=shown, status=Resident.Status.LIVING)
        .values("household")
        .annotate(n=Count("id"))
        .values_list("household", "n")
    )
    heads = {
        r.household_id: r
        for r in Resident.objects.filter(
            household__in=shown, relationship=Resident.Relationship.HEAD
        ).order_by("-pk")
    }
    for household in page:
        household.head = heads.get(household.pk)
        household.resident_count = counts.get(household.pk, 0)
    return render_to_string(
        "grids/_household_list_body.html",
        {
            "area": area,
            "form": form,
            "query": query,
            "page": page,
            "can_edit_households": may_add,
            "can_export": may_export,
        },
        request,
    )


@login_required
@PERSONAL_PAGE
def resident_list(request, code):
    """The people under an area (实有人口), searchable, and by care category (重点人群): the
    list a community plans its care visits from. ID numbers and mobiles are masked; the
    household page reveals one, logged."""
    area = area_or_404(request.user, code, TerritoryCapability.VIEW_HOUSEHOLDS)
    # Kept as the household list is (grids.list_cache).
    body = kept_bodies.kept_or(
        list_cache.key(request, area, "residents", ()), lambda: _resident_list_body(request, area)
    )
    return render(
        request,
        "grids/resident_list.html",
        # Rendered by our own templates, escaped there.
        {"area": area, "breadcrumbs": breadcrumbs(request, area), "body": mark_safe(body)},
    )


def _resident_list_body(request, area: Area) -> str:
    form = ResidentFilterForm(request.GET or None)
    form.is_valid()
    wanted = form.filters()
    # The user holds the capability over the whole area (area_or_404): visible_to is a guard.
    residents = Resident.objects.visible_to(request.user).filter(
        household_q([area.path], "household__")
    )
    if wanted["status"] != "any":
        residents = residents.filter(status=wanted["status"])
    if wanted["care"]:
        residents = residents.filter(care__category=wanted["care"])
    if wanted["q"]:
        residents = residents.filter(find_residents(wanted["q"]))
    # As the household list: the tallies when nothing narrows the list, else a capped count.
    if not wanted["q"] and not wanted["care"] and wanted["status"] == Resident.Status.LIVING:
        count, at_least = tallied_residents(area), False
    else:
        count, at_least = capped_count(residents, paging.SEARCH_COUNT_CAP)
    page = KnownCountPaginator(
        residents.select_related("household__grid", "household__micro_grid")
        .defer("household__grid__boundary", "household__micro_grid__boundary")
        # Household by household, in the household list's order.
        .order_by("household__grid_id", "household__address", "household_id", "pk"),
        PAGE_SIZE,
        count=count,
        at_least=at_least,
    ).get_page(request.GET.get("page"))
    labels = dict(CareCategory.choices)
    care: dict[int, list[str]] = {}
    for resident_id, category in (
        ResidentCare.objects.filter(resident__in=[r.pk for r in page])
        .order_by("category")
        .values_list("resident_id", "category")
    ):
        care.setdefault(resident_id, []).append(labels.get(category, category))
    today = timezone.localdate()
    for resident in page:
        resident.care_labels = care.get(resident.pk, [])
        resident.age_now = resident.age(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render_to_string(
        "grids/_resident_list_body.html",
        {
            "area": area,
            "form": form,
            "wanted": wanted,
            "filtering": bool(wanted["care"]) or wanted["status"] != Resident.Status.LIVING,
            "page": page,
            "query": query.urlencode(),
        },
        request,
    )


@login_required
@reads_from_replica()
def household_export(request, code):
    area = area_or_404(request.user, code, TerritoryCapability.EXPORT)
    # Streamed after the view returns: the database is chosen now.
    residents = bound(
        Resident.objects.visible_to(request.user)
        .filter(household_q([area.path], "household__"))
        .select_related("household__grid", "household__micro_grid")
        .order_by("household__grid__path", "household__address", "pk")
    )
    gate = exports.export_gate(
        request, kind=ExportKind.RESIDENTS, area=area, rows=residents.count()
    )
    if not isinstance(gate, Watermark):
        return gate
    header = [
        _("Grid code"),
        _("Grid"),
        _("Micro-grid"),
        _("Address"),
        _("Name"),
        _("Relationship"),
        _("ID number"),
        _("Mobile number"),
        _("Gender"),
        _("Year of birth"),
        _("Status"),
    ]

    def rows():
        for r in residents.iterator(chunk_size=2000):
            h = r.household
            yield [
                h.grid.code,
                h.grid.name,
                h.micro_grid.name if h.micro_grid else "",
                h.address,
                r.name,
                r.get_relationship_display(),
                r.masked_id_number,
                r.masked_phone,
                r.get_gender_display(),
                r.birth_date.year if r.birth_date else "",
                r.get_status_display(),
            ]

    return csv_response(f"residents-{area.code}", header, rows(), watermark=gate)


@login_required
@PERSONAL_PAGE
def household_detail(request, pk):
    household = _household(request, pk)
    residents = household.residents.prefetch_related(
        Prefetch("care", queryset=ResidentCare.objects.order_by("category"))
    ).order_by("status", "pk")
    area = household.area
    return render(
        request,
        "grids/household_detail.html",
        {
            "household": household,
            "area": household.grid,
            "breadcrumbs": [*breadcrumbs(request, household.grid), (household.grid, True)],
            "residents": residents,
            "can_edit": can(request.user, TerritoryCapability.EDIT_HOUSEHOLDS, area),
            "can_reveal": can(request.user, TerritoryCapability.REVEAL_PERSONAL, area),
            "actions": navigation.household_actions(request.user, household),
            "panels": navigation.household_panels(request.user, household),
            "today": timezone.localdate(),
            "history": history_for(household),
        },
    )


@login_required
def household_create(request, code):
    area = area_or_404(request.user, code, TerritoryCapability.EDIT_HOUSEHOLDS)
    form = HouseholdForm(
        request.POST or None,
        user=request.user,
        within=area,
        initial={"grid": area.pk if area.level == Level.GRID else None},
    )
    household = submit_form(
        request,
        form,
        lambda data, _v: services.create_household(by=request.user, **data),
        _("Household added."),
    )
    if household is not NOT_SAVED:
        return redirect("household_detail", pk=household.pk)
    return render(
        request,
        "grids/household_form.html",
        {
            "form": form,
            "area": area,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
@PERSONAL_PAGE
def household_edit(request, pk):
    household = _household(request, pk, TerritoryCapability.EDIT_HOUSEHOLDS)
    within = household.grid
    form = HouseholdForm(request.POST or None, instance=household, user=request.user, within=within)
    saved = submit_form(
        request,
        form,
        lambda data, version: services.update_household(
            by=request.user, household=household, expected_version=version, **data
        ),
        _("Household saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("household_detail", pk=household.pk)
    return render(
        request,
        "grids/household_form.html",
        {
            "form": form,
            "household": household,
            "area": within,
            "breadcrumbs": [*breadcrumbs(request, within), (within, True)],
        },
    )


@login_required
def resident_create(request, pk):
    household = _household(request, pk, TerritoryCapability.EDIT_HOUSEHOLDS)
    form = ResidentForm(request.POST or None)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.create_resident(by=request.user, household=household, **data),
        _("Resident added."),
    )
    if saved is not NOT_SAVED:
        return redirect("household_detail", pk=household.pk)
    return render(
        request,
        "grids/resident_form.html",
        {
            "form": form,
            "household": household,
            "breadcrumbs": [*breadcrumbs(request, household.grid), (household.grid, True)],
        },
    )


OPEN_FOR_EDITING = "_open"  # the reveal form in front of the edit form was sent


@login_required
@PERSONAL_PAGE
def resident_edit(request, pk):
    resident = _resident(request, pk, TerritoryCapability.EDIT_HOUSEHOLDS)
    household = resident.household
    if not can(request.user, TerritoryCapability.REVEAL_PERSONAL, household.area):
        raise PermissionDenied  # the edit form shows the full ID and mobile numbers
    context = {
        "household": household,
        "resident": resident,
        "breadcrumbs": [*breadcrumbs(request, household.grid), (household.grid, True)],
    }
    if request.method == "GET" or OPEN_FOR_EDITING in request.POST:
        # Full values are shown only after a reason (and, when due, the password).
        gate = RevealForm(request.POST or None, request=request)
        if not gate.is_valid():
            # The history is masked, so it is shown before the reason as well.
            return render(
                request,
                "grids/resident_open.html",
                {**context, "form": gate, "history": history_for(resident)},
            )
        services.open_for_editing(
            by=request.user,
            resident=resident,
            reason=gate.cleaned_data["reason"],
            reauthenticated=gate.reauthenticated,
            stepup_at=gate.stepup_at,
            remote_addr=client_ip(request),
        )
        form = ResidentForm(instance=resident)
    else:
        # Saving shows back only what was sent (or nothing, on success).
        form = ResidentForm(request.POST, instance=resident)
        saved = submit_form(
            request,
            form,
            lambda data, version: services.update_resident(
                by=request.user, resident=resident, expected_version=version, **data
            ),
            _("Resident saved."),
        )
        if saved is not NOT_SAVED:
            return redirect("household_detail", pk=household.pk)
    return render(
        request,
        "grids/resident_form.html",
        {**context, "form": form, "history": history_for(resident)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@PERSONAL_PAGE
def resident_reveal(request, pk, field):
    """The form asking why (and the password, when due), then the full value."""
    if field not in services.REVEALABLE:
        raise Http404
    resident = _resident(request, pk, TerritoryCapability.REVEAL_PERSONAL)
    form = RevealForm(request.POST if request.method == "POST" else None, request=request)
    context = {"resident": resident, "field": field, "form": form}
    if form.is_valid():
        context["value"] = services.reveal_personal(
            by=request.user,
            resident=resident,
            field=field,
            reason=form.cleaned_data["reason"],
            reauthenticated=form.reauthenticated,
            stepup_at=form.stepup_at,
            remote_addr=client_ip(request),
        )
        partial, page = "grids/_revealed.html", "grids/revealed.html"
    else:
        partial, page = "grids/_reveal_form.html", "grids/reveal_form.html"
    return render(request, partial if request.htmx else page, context)


@login_required
def area_staffing(request, code):
    area = area_or_404(request.user, code)
    rows = selectors.staffing(area)
    show_all = request.GET.get("all") == "1"
    short = [row for row in rows if not row.compliant]
    manage = can(request.user, TerritoryCapability.MANAGE_POSTS, area)
    if manage:
        _attach_posts(request.user, area, rows)
    return render(
        request,
        "grids/staffing.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "rows": rows if show_all else short,
            "total": len(rows),
            "short": len(short),
            "show_all": show_all,
            "can_manage_posts": manage,
            "rule": (
                selectors.STAFFING_FULL_TIME,
                selectors.STAFFING_PART_TIME,
                selectors.STAFFING_N,
            ),
        },
    )


def _attach_posts(user, area: Area, rows) -> None:
    """Each grid's active posts (its micro-grids' included), as ``row.held``."""
    by_path = {row.grid.path: row for row in rows}
    for row in rows:
        row.held = []
    if not rows:
        return
    width = len(rows[0].grid.path)
    posts = (
        Post.objects.active()
        .filter(area__path__startswith=area.path, area__depth__gte=GRID_DEPTH)
        .select_related("area", "user")
        .order_by("role", "user__display_name")
    )
    for post in posts:
        row = by_path.get(post.area.path[:width])
        if row is not None:
            post.endable = services.may_end(user, post)
            row.held.append(post)


@login_required
def area_coverage(request, code):
    area = area_or_404(request.user, code)
    report = selectors.coverage_report(area)
    drawings = []
    for entry in report:
        cov = entry.coverage
        if cov.ok:
            continue
        items = [(("child", c), c.geometry) for c in entry.children]
        items += [(("gap", i), geo.to_geometry(g.geometry)) for i, g in enumerate(cov.gaps)]
        shapes, size = geo.svg_shapes(items)
        drawings.append((entry, shapes, size))
    return render(
        request,
        "grids/coverage.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "problems": drawings,
            "checked": len(report),
        },
    )


def _appointment(request, form, write):
    """Run an appointment (``write`` returns the post, or the post and a password) and say
    so; a refusal lands on the form instead: field by field, or, for a post above the
    officer's own reach (PermissionDenied), on the role. None when refused."""
    try:
        result = write()
    except ValidationError as error:
        apply_errors(form, error)
        return None
    except PermissionDenied:
        form.add_error("role", _("Only an officer above this area can give this post."))
        return None
    post = result[0] if isinstance(result, tuple) else result
    messages.success(
        request,
        _("%(user)s appointed as %(role)s.") % {"user": post.user, "role": post.get_role_display()},
    )
    return result


@login_required
def post_create(request, code):
    area = area_or_404(request.user, code, TerritoryCapability.MANAGE_POSTS)
    form = PostForm(request.POST or None, user=request.user, within=area)
    if request.method == "POST" and form.is_valid():
        post = _appointment(
            request,
            form,
            lambda: services.appoint(
                by=request.user,
                user=form.cleaned_data["username"],
                area=form.cleaned_data["area"],
                role=form.cleaned_data["role"],
                note=form.cleaned_data["note"],
            ),
        )
        if post is not None:
            return redirect("area_detail", code=area.code)
    return render(
        request,
        "grids/post_form.html",
        {
            "form": form,
            "area": area,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
        },
    )


@login_required
@require_POST
def post_end(request, pk):
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("area", "user"), pk=pk
    )
    try:
        services.end_post(by=request.user, post=post)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The post of %(user)s as %(role)s has ended.")
            % {"user": post.user, "role": post.get_role_display()},
        )
    return redirect(reverse("area_detail", kwargs={"code": post.area.code}))


# --- People: posts and accounts, managed by the area's officers ----------------------------


def _managed_area(request, code) -> Area:
    """An area where the user manages posts; elsewhere (even one they see) a 404, so no
    one learns what this page would hold."""
    area = area_or_404(request.user, code)
    if not can(request.user, TerritoryCapability.MANAGE_POSTS, area):
        raise Http404
    return area


def _managed_person(request, area: Area, pk: int):
    person = get_object_or_404(selectors.people(area), pk=pk)
    if not services.person_in_scope(request.user, person):
        raise Http404
    return person


def _private(response):
    patch_cache_control(response, private=True, no_store=True)
    return response


def _temporary_password(request, area: Area, person, password: str):
    """The only time the password is shown: not stored, not cached, not logged."""
    return _private(
        render(
            request,
            "grids/temporary_password.html",
            {"area": area, "person": person, "password": password},
        )
    )


@login_required
def post_give(request, code):
    area = _managed_area(request, code)
    people = services.people_in_scope(request.user, Area.objects.get_parent(area) or area)
    form = GivePostForm(request.POST or None, area=area, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = None
        if not data["person"]:
            new = services.NewPerson(
                display_name=data["display_name"],
                phone=data["phone"],
                username=data["username"],
                activate_by_sms=data["activate_by_sms"],
            )
        given = _appointment(
            request,
            form,
            lambda: services.give_post(
                by=request.user,
                area=area,
                role=data["role"],
                person=data["person"],
                new=new,
                note=data["note"],
            ),
        )
        if given is not None:
            post, password = given
            if password:
                return _temporary_password(request, area, post.user, password)
            if new is not None and new.activate_by_sms:
                messages.info(
                    request,
                    _("An activation code was sent to %(user)s's mobile (%(phone)s).")
                    % {"user": post.user, "phone": post.user.masked_phone},
                )
            return redirect("area_staffing", code=area.code)
    return render(
        request,
        "grids/post_give.html",
        {"form": form, "area": area, "breadcrumbs": [*breadcrumbs(request, area), (area, True)]},
    )


@login_required
def area_people(request, code):
    area = _managed_area(request, code)
    rows = [
        (person, services.person_in_scope(request.user, person))
        for person in selectors.people(area)
    ]
    return _private(
        render(
            request,
            "grids/people.html",
            {"area": area, "breadcrumbs": breadcrumbs(request, area), "rows": rows},
        )
    )


@login_required
def person_detail(request, code, pk):
    area = _managed_area(request, code)
    person = _managed_person(request, area, pk)
    form = PersonForm(
        request.POST or None,
        initial={"display_name": person.display_name, "phone": person.phone},
    )
    saved = submit_form(
        request,
        form,
        lambda data, _version: services.update_person_for(by=request.user, person=person, **data),
        _("The person was saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("area_people", code=area.code)
    posts = Post.objects.filter(user=person).select_related("area").order_by("-started_on")
    return _private(
        render(
            request,
            "grids/person_detail.html",
            {
                "area": area,
                "person": person,
                "form": form,
                "posts": posts,
                "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
            },
        )
    )


@login_required
@require_POST
def person_reset_password(request, code, pk):
    area = _managed_area(request, code)
    person = _managed_person(request, area, pk)
    password = services.reset_password_for(by=request.user, person=person)
    return _temporary_password(request, area, person, password)


@login_required
@require_POST
def person_invite(request, code, pk):
    area = _managed_area(request, code)
    person = _managed_person(request, area, pk)
    try:
        services.invite_person(by=request.user, person=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(
            request,
            _("An activation code was sent to %(user)s's mobile (%(phone)s).")
            % {"user": person, "phone": person.masked_phone},
        )
    return redirect("person_detail", code=area.code, pk=person.pk)


@login_required
@require_POST
def person_set_active(request, code, pk):
    area = _managed_area(request, code)
    person = _managed_person(request, area, pk)
    active = request.POST.get("active") == "1"
    services.set_person_active(by=request.user, person=person, active=active)
    if active:
        messages.success(request, _("%(user)s can sign in again.") % {"user": person})
    else:
        messages.success(request, _("%(user)s can no longer sign in.") % {"user": person})
    return redirect("person_detail", code=area.code, pk=person.pk)


# --- Cover (AB岗) -------------------------------------------------------------------------------


def _cover_posts(area: Area, today):
    return (
        Post.objects.active(today)
        .filter(role__in=COVERED_ROLES, area__path__startswith=area.path)
        .select_related("user", "area", "cover__covered_by")
        .defer("area__boundary")
        .order_by("area__path", "role", "pk")
    )


def _cover_holders(area: Area, today):
    return get_user_model().objects.filter(posts__in=_cover_posts(area, today)).distinct()


@login_required
def area_cover(request, code):
    """Who covers each grid post of the area while its holder is on leave, and their leave:
    set by the officers who manage its posts. Leave under way and coming first, with who
    covers; the forms fold away above the list (a phone shows the answer, not the forms)."""
    area = _managed_area(request, code)
    today = timezone.localdate()
    posts = _cover_posts(area, today)
    holders = _cover_holders(area, today).order_by("pk")
    people = services.community_grid_people(area).order_by("pk")
    action = request.POST.get("action") if request.method == "POST" else None
    cover_form = CoverForm(
        request.POST if action == "cover" else None, posts=posts, people=people, prefix="cover"
    )
    leave_form = LeaveForm(
        request.POST if action == "leave" else None, people=holders, prefix="leave"
    )
    if action == "cover":
        done = submit_form(
            request,
            cover_form,
            lambda data, _version: services.set_cover(
                by=request.user, post=data["post"], covered_by=data["covered_by"]
            ),
            _("Cover saved."),
        )
        if done is not NOT_SAVED:
            return redirect("area_cover", code=area.code)
    elif action == "leave":
        done = submit_form(
            request,
            leave_form,
            lambda data, _version: services.record_leave(by=request.user, **data),
            _("Leave recorded."),
        )
        if done is not NOT_SAVED:
            return redirect("area_cover", code=area.code)
    posts = list(posts)
    covered_by: dict[int, list] = {}
    for post in posts:
        cover = getattr(post, "cover", None)
        if (
            cover is not None
            and cover.active
            and cover.covered_by not in covered_by.get(post.user_id, [])
        ):
            covered_by.setdefault(post.user_id, []).append(cover.covered_by)
    leaves = list(
        Leave.objects.filter(user__in=holders, ends_on__gte=today)
        .select_related("user")
        .order_by("starts_on", "pk")
    )
    for leave in leaves:
        leave.covered_by = covered_by.get(leave.user_id, [])
    return render(
        request,
        "grids/cover.html",
        {
            "area": area,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
            "posts": posts,
            "current_leaves": [leave for leave in leaves if leave.has_begun(today)],
            "coming_leaves": [leave for leave in leaves if not leave.has_begun(today)],
            "today": today,
            "cover_form": cover_form,
            "leave_form": leave_form,
        },
    )


def _managed_leave(area: Area, pk: int) -> Leave:
    """A current or coming leave of someone holding a grid post in ``area``; else a 404."""
    today = timezone.localdate()
    return get_object_or_404(
        Leave.objects.filter(
            user__in=_cover_holders(area, today), ends_on__gte=today
        ).select_related("user"),
        pk=pk,
    )


@login_required
def leave_edit(request, code, pk):
    area = _managed_area(request, code)
    leave = _managed_leave(area, pk)
    initial = {"starts_on": leave.starts_on, "ends_on": leave.ends_on, "reason": leave.reason}
    form = LeaveDatesForm(request.POST or None, initial=initial)
    done = submit_form(
        request,
        form,
        lambda data, _version: services.update_leave(by=request.user, leave=leave, **data),
        _("Leave changed."),
    )
    if done is not NOT_SAVED:
        return redirect("area_cover", code=area.code)
    return render(
        request,
        "grids/leave_form.html",
        {
            "area": area,
            "breadcrumbs": [*breadcrumbs(request, area), (area, True)],
            "leave": leave,
            "form": form,
            "started": leave.has_begun(),
        },
    )


@login_required
@require_POST
def leave_end(request, code, pk):
    """The person is back today (a leave under way), or a coming leave is cancelled."""
    area = _managed_area(request, code)
    leave = _managed_leave(area, pk)
    try:
        ended = services.end_leave(by=request.user, leave=leave)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if ended is None:
            messages.success(request, _("Leave cancelled."))
        else:
            messages.success(request, _("%(user)s is back at work.") % {"user": leave.user})
    return redirect("area_cover", code=area.code)


# --- Export approvals (grids/exports.py) -------------------------------------------------


@login_required
@PERSONAL_PAGE
def export_approvals(request):
    """The requests this user decides (one level up), their recent decisions, and their own."""
    user = request.user
    if scope_paths(user, TerritoryCapability.EXPORT) == []:
        raise Http404
    approvals = ExportApproval.objects.select_related(
        "requester", "area", "decided_by", "approver_area"
    )
    deciding = approvals.to_decide_by(user)
    return render(
        request,
        "grids/export_approvals.html",
        {
            "pending": list(deciding.filter(status=ExportApproval.Status.PENDING)),
            "decided": list(deciding.exclude(status=ExportApproval.Status.PENDING)[:30]),
            "mine": list(approvals.filter(requester=user)[:30]),
            "limit": settings.EXPORT_APPROVAL_ROWS,
            "hours": settings.EXPORT_APPROVAL_HOURS,
        },
    )


@login_required
@require_POST
def export_decide(request, pk):
    approval = get_object_or_404(ExportApproval.objects.to_decide_by(request.user), pk=pk)
    decide = {"approve": exports.approve_export, "refuse": exports.refuse_export}.get(
        request.POST.get("decision", "")
    )
    if decide is None:
        messages.error(request, _("Approve or refuse the request."))
        return redirect("export_approvals")
    try:
        decide(by=request.user, approval=approval, note=request.POST.get("note", "")[:300])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request #%(number)s decided.") % {"number": approval.pk})
    return redirect("export_approvals")
