"""Station pages: public ones for residents (no sign-in) and scoped ones for staff.

Public pages show only what a notice board at the station would: names, hours, services,
the station's own phone, the names of the staff on duty. Never a resident's data, never a
person's phone. Staff pages reach every object through the helpers below, which answer 404
for anything outside the user's areas, whether or not it exists.
"""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.concurrency import ConcurrentEdit
from core.forms import apply_errors
from core.history import history_for
from core.images import serve_private
from core.navigation import listed
from grids.access import area_or_404
from grids.models import Area, Household
from grids.policy import TerritoryCapability
from grids.roles import GRID_DEPTH, Level
from grids.scope import can, path_q
from stations import geo, selectors, services
from stations.forms import (
    ActivityForm,
    DirectoryForm,
    InspectionForm,
    PhotoForm,
    ServedForm,
    StationForm,
    StationSearchForm,
)
from stations.models import (
    Activity,
    ActivityPhoto,
    Inspection,
    InspectionItem,
    ServiceType,
    Station,
    StationPhoto,
)
from stations.policy import StationCapability

PAGE_SIZE = 25
DIRECTORY_PAGE_SIZE = 20
OUTSIDE_PAGE_SIZE = 50

# --- Access helpers: the only ways a staff view reaches a scoped object -----------------------


def _station(request, code: str, capability: str = TerritoryCapability.VIEW_TERRITORY) -> Station:
    station = get_object_or_404(
        Station.objects.visible_to(request.user).select_related("area", "grid"), code=code
    )
    if capability != TerritoryCapability.VIEW_TERRITORY and not can(
        request.user, capability, station.area
    ):
        raise PermissionDenied
    return station


def _breadcrumbs(request, area: Area, include_self: bool = False) -> list[tuple[Area, bool]]:
    crumbs = [
        (a, can(request.user, TerritoryCapability.VIEW_TERRITORY, a))
        for a in Area.objects.get_ancestors(area)
    ]
    return [*crumbs, (area, True)] if include_self else crumbs


def _community(area: Area) -> Area:
    path = services.community_path(area)
    return area if path == area.path else Area.objects.get(path=path)


def _write(request, form, write, success: str):
    """Hand a valid form to a service write; a refusal lands on the form. None if not saved."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = write(form.cleaned_data)
    except ConcurrentEdit as error:
        form.add_error(None, error.message)
        return None
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, success)
    return result


def _public_base(request) -> str:
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _qr_svg(url: str) -> str:
    """An inline SVG QR code (no style attribute or element: the CSP allows it)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


# --- Public pages -----------------------------------------------------------------------------


def _public_stations():
    return Station.objects.open().select_related("area")


def _offered():
    """Services still offered; retired catalogue entries stay on staff pages only."""
    return Prefetch("services", queryset=ServiceType.objects.filter(active=True))


@require_GET
def directory(request):
    form = DirectoryForm(request.GET or None)
    form.is_valid()  # a bad field (say, lat=abc) is dropped; the others still apply
    data = getattr(form, "cleaned_data", {})
    query, kind = data.get("q") or "", data.get("kind") or ""
    lat, lng = data.get("lat"), data.get("lng")
    stations = _public_stations()
    if query:
        # A resident searches by the name of their community or street too, not just the
        # grid a station serves: stations anywhere under a matching area are found.
        matching = list(
            Area.objects.filter(name__icontains=query, depth__lt=GRID_DEPTH).values_list(
                "path", flat=True
            )[:50]
        )
        matches = (
            Q(name__icontains=query)
            | Q(area__name__icontains=query)
            | Q(address__icontains=query)
            | Q(code__iexact=query)
        )
        if matching:
            matches |= path_q(matching, "area__path")
        stations = stations.filter(matches)
    if kind:
        stations = stations.filter(kind=kind)
    distances: dict[int, float] = {}
    near = lat is not None and lng is not None
    if near:
        ranked = selectors.by_distance(stations, lat, lng)
        page = Paginator(ranked, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        distances = dict(page.object_list)
        rows = {
            s.pk: s for s in stations.filter(pk__in=list(distances)).prefetch_related(_offered())
        }
        shown = [rows[pk] for pk in distances if pk in rows]
    else:
        page = Paginator(
            stations.order_by("area__path", "kind", "code").prefetch_related(_offered()),
            DIRECTORY_PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        shown = list(page.object_list)
    for station in shown:
        station.distance = distances.get(station.pk)
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "stations/directory.html",
        {
            "form": form,
            "page": page,
            "stations": shown,
            "query": query,
            "near": near,
            "keep": keep.urlencode(),
        },
    )


@require_GET
def station_public(request, code):
    station = get_object_or_404(_public_stations().select_related("grid"), code=code)
    context = _station_context(station, public=True)
    if station.grid is not None:
        context["request_link"] = (listed("GRID_REQUEST").label, _grid_request_url(station.grid))
    return render(request, "stations/station_public.html", context)


def _grid_request_url(grid: Area) -> str:
    """Where residents of the grid send a request (a page of tickets, named by the project's
    navigation so stations need not know it)."""
    return reverse(listed("GRID_REQUEST").url_name, args=[grid.code])


def _station_context(station: Station, *, public: bool) -> dict:
    latest = station.inspections.order_by("-inspected_on", "-pk").prefetch_related("items").first()
    # The community's grids around the served area, for orientation (one query).
    context = Area.objects.filter(
        path__startswith=services.community_path(station.area), level=Level.GRID
    ).only("pk", "path", "boundary")
    drawing = geo.station_map(station.area, station.longitude, station.latitude, context)
    offered = station.services.all()
    return {
        "station": station,
        "services": list(offered.filter(active=True) if public else offered),
        "facilities": list(station.facilities.all()),
        "duties": list(station.duties.select_related("user")),
        "photos": list(station.photos.all()),
        "activities": list(station.activities.all()[: 5 if public else 10]),
        "latest": latest,
        "standardised": bool(latest and latest.passed),
        "map": drawing,
    }


@require_GET
def station_photo(request, code, pk):
    """A photo of the station: public while it is open, to its staff once it has closed."""
    photo = get_object_or_404(
        StationPhoto.objects.select_related("station"), station__code=code, pk=pk
    )
    if photo.station.is_open:
        return photo.serve(public=True)
    if not Station.objects.visible_to(request.user).filter(pk=photo.station_id).exists():
        raise Http404
    return photo.serve()


@require_GET
def station_poster(request, code):
    station = get_object_or_404(_public_stations().select_related("grid"), code=code)
    if station.grid is not None:
        target = _public_base(request) + _grid_request_url(station.grid)
    else:
        target = _public_base(request) + reverse("station_public", args=[station.code])
    return render(
        request,
        "stations/poster.html",
        {
            "station": station,
            "grid": station.grid,
            "services": list(station.services.filter(active=True)),
            "qr": mark_safe(_qr_svg(target)),
            "target": target,
        },
    )


def _public_grid(code: str) -> Area:
    """A grid by code for public pages; 404 for anything else, never a 500."""
    return get_object_or_404(Area.objects.filter(level=Level.GRID), code=code)


def _grid_stations(grid: Area):
    community = services.community_path(grid)
    return list(
        _public_stations()
        .filter(Q(area=grid) | Q(grid=grid) | Q(area__path=community))
        .order_by("kind", "code")
    )


@require_GET
def grid_poster(request, code):
    grid = _public_grid(code)
    target = _public_base(request) + _grid_request_url(grid)
    return render(
        request,
        "stations/poster.html",
        {
            "grid": grid,
            "community": Area.objects.get_parent(grid),
            "stations": _grid_stations(grid),
            "qr": mark_safe(_qr_svg(target)),
            "target": target,
        },
    )


# --- Staff: lists and coverage ----------------------------------------------------------------


@login_required
def station_list(request, code):
    area = area_or_404(request.user, code)
    form = StationSearchForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    stations = (
        Station.objects.visible_to(request.user)
        .under(area)
        .with_standing()
        .select_related("area")
        .annotate(n_services=Count("services", distinct=True))
        .order_by("area__path", "kind", "code")
    )
    if query := data.get("q"):
        stations = stations.filter(
            Q(name__icontains=query) | Q(code__icontains=query) | Q(address__icontains=query)
        )
    if kind := data.get("kind"):
        stations = stations.filter(kind=kind)
    standing = data.get("standing")
    if standing == "yes":
        stations = stations.filter(standardised=True)
    elif standing == "no":
        stations = stations.filter(standardised=False, last_inspected_on__isnull=False)
    elif standing == "never":
        stations = stations.filter(last_inspected_on__isnull=True)
    page = Paginator(stations, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "stations/station_list.html",
        {
            "area": area,
            "breadcrumbs": _breadcrumbs(request, area),
            "form": form,
            "page": page,
            "keep": keep.urlencode(),
            "can_manage": can(request.user, StationCapability.MANAGE_STATIONS, area),
        },
    )


@login_required
def station_coverage(request, code):
    area = area_or_404(request.user, code)
    report = selectors.coverage(area)
    circle = report.circle
    see_households = can(request.user, TerritoryCapability.VIEW_HOUSEHOLDS, area)
    outside_page = None
    if see_households and len(circle.outside_ids):
        paginator = Paginator(list(range(len(circle.outside_ids))), OUTSIDE_PAGE_SIZE)
        outside_page = paginator.get_page(request.GET.get("page"))
        positions = list(outside_page.object_list)
        ids = [int(circle.outside_ids[i]) for i in positions]
        walking = dict(zip(ids, circle.walking_metres(positions).tolist(), strict=True))
        households = (
            Household.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .select_related("grid", "micro_grid")
            .in_bulk()
        )
        outside_page.rows = [(households[pk], walking[pk]) for pk in ids if pk in households]
    return render(
        request,
        "stations/coverage.html",
        {
            "area": area,
            "breadcrumbs": _breadcrumbs(request, area),
            "report": report,
            "circle": circle,
            "grids_outside": report.grids_outside[:200],
            "grids_outside_total": len(report.grids_outside),
            "see_households": see_households,
            "outside_page": outside_page,
        },
    )


# --- Staff: one station -----------------------------------------------------------------------


@login_required
def station_detail(request, code):
    station = _station(request, code)
    context = _station_context(station, public=False)
    served = selectors.served_by_month(station)
    user = request.user
    context.update(
        {
            "area": station.area,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
            "inspections": list(
                station.inspections.select_related("inspector").order_by("-inspected_on", "-pk")[
                    :10
                ]
            ),
            "served": served,
            "served_max": max([people or 0 for _month, people in served] + [1]),
            "activity_count": station.activities.count(),
            "can_manage": can(user, StationCapability.MANAGE_STATIONS, station.area),
            "can_inspect": can(user, StationCapability.INSPECT_STATIONS, station.area),
            "can_log": can(user, StationCapability.LOG_ACTIVITIES, station.area),
            "photo_form": PhotoForm(),
            "history": history_for(station),
        }
    )
    return render(request, "stations/station_detail.html", context)


@login_required
def station_create(request, code):
    area = area_or_404(request.user, code, StationCapability.MANAGE_STATIONS)
    form = StationForm(request.POST or None, user=request.user, within=area)
    station = _write(
        request,
        form,
        lambda data: services.create_station(
            by=request.user, **{k: v for k, v in data.items() if k != "version"}
        ),
        _("Station added."),
    )
    if station is not None:
        return redirect("station_detail", code=station.code)
    return render(
        request,
        "stations/station_form.html",
        {
            "form": form,
            "area": area,
            "breadcrumbs": _breadcrumbs(request, area, include_self=True),
            "cancel_url": reverse("station_list", args=[area.code]),
        },
    )


@login_required
def station_edit(request, code):
    station = _station(request, code, StationCapability.MANAGE_STATIONS)
    form = StationForm(
        request.POST or None,
        instance=station,
        user=request.user,
        within=_community(station.area),
    )

    def write(data):
        data = dict(data)
        data.pop("code", None)
        version = data.pop("version", None)
        return services.update_station(
            by=request.user, station=station, expected_version=version, **data
        )

    if _write(request, form, write, _("Station saved.")) is not None:
        return redirect("station_detail", code=station.code)
    return render(
        request,
        "stations/station_form.html",
        {
            "form": form,
            "station": station,
            "area": station.area,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
            "cancel_url": reverse("station_detail", args=[station.code]),
        },
    )


@login_required
@require_POST
def photo_add(request, code):
    station = _station(request, code, StationCapability.MANAGE_STATIONS)
    form = PhotoForm(request.POST, request.FILES)
    saved = _write(
        request,
        form,
        lambda data: services.add_station_photo(by=request.user, station=station, **data),
        _("Photo added."),
    )
    if saved is None:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect(reverse("station_detail", args=[station.code]) + "#photos")


@login_required
@require_POST
def photo_delete(request, pk):
    photo = get_object_or_404(
        StationPhoto.objects.visible_to(request.user).select_related("station__area"), pk=pk
    )
    services.delete_station_photo(by=request.user, photo=photo)
    messages.success(request, _("Photo deleted."))
    return redirect(reverse("station_detail", args=[photo.station.code]) + "#photos")


@login_required
def inspection_create(request, code):
    station = _station(request, code, StationCapability.INSPECT_STATIONS)
    form = InspectionForm(request.POST or None, request.FILES or None)
    inspection = _write(
        request,
        form,
        lambda data: services.record_inspection(
            by=request.user,
            station=station,
            inspected_on=data["inspected_on"],
            note=data["note"],
            results=form.results(),
        ),
        _("Inspection recorded."),
    )
    if inspection is not None:
        return redirect("inspection_detail", pk=inspection.pk)
    return render(
        request,
        "stations/inspection_form.html",
        {
            "form": form,
            "station": station,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
        },
    )


@login_required
def inspection_detail(request, pk):
    inspection = get_object_or_404(
        Inspection.objects.visible_to(request.user).select_related("station__area", "inspector"),
        pk=pk,
    )
    station = inspection.station
    return render(
        request,
        "stations/inspection_detail.html",
        {
            "inspection": inspection,
            "items": list(inspection.items.all()),
            "station": station,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
        },
    )


@login_required
@require_GET
def inspection_photo(request, pk):
    item = get_object_or_404(InspectionItem.objects.visible_to(request.user), pk=pk)
    return serve_private(item.photo)


@login_required
def activity_list(request, code):
    station = _station(request, code)
    activities = station.activities.annotate(n_photos=Count("photos")).order_by("-held_on", "-pk")
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "stations/activity_list.html",
        {
            "station": station,
            "page": page,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
            "can_log": can(request.user, StationCapability.LOG_ACTIVITIES, station.area),
        },
    )


@login_required
def activity_detail(request, pk):
    activity = get_object_or_404(
        Activity.objects.visible_to(request.user)
        .select_related("station__area", "recorded_by")
        .prefetch_related(Prefetch("photos", queryset=ActivityPhoto.objects.order_by("pk"))),
        pk=pk,
    )
    return render(
        request,
        "stations/activity_detail.html",
        {
            "activity": activity,
            "station": activity.station,
            "breadcrumbs": _breadcrumbs(request, activity.station.area, include_self=True),
        },
    )


@login_required
def activity_create(request, code):
    station = _station(request, code, StationCapability.LOG_ACTIVITIES)
    form = ActivityForm(request.POST or None, request.FILES or None)
    activity = _write(
        request,
        form,
        lambda data: services.log_activity(by=request.user, station=station, **data),
        _("Activity logged."),
    )
    if activity is not None:
        return redirect("station_detail", code=station.code)
    return render(
        request,
        "stations/activity_form.html",
        {
            "form": form,
            "station": station,
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
        },
    )


@login_required
@require_GET
def activity_photo(request, pk):
    photo = get_object_or_404(ActivityPhoto.objects.visible_to(request.user), pk=pk)
    return photo.serve()


@login_required
def served_record(request, code):
    station = _station(request, code, StationCapability.LOG_ACTIVITIES)
    today = timezone.localdate()
    initial = {"month": dt.date(today.year, today.month, 1)}
    form = ServedForm(request.POST or None, initial=initial)
    saved = _write(
        request,
        form,
        lambda data: services.record_served(by=request.user, station=station, **data),
        _("People served saved."),
    )
    if saved is not None:
        return redirect(reverse("station_detail", args=[station.code]) + "#served")
    return render(
        request,
        "stations/served_form.html",
        {
            "form": form,
            "station": station,
            "served": selectors.served_by_month(station),
            "breadcrumbs": _breadcrumbs(request, station.area, include_self=True),
        },
    )
