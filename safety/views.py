"""The grid worker's places due for a patrol, the patrol form, a patrol's page, an area's
hazards and a hazard's page with its fix and re-check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import NOT_SAVED, submit_form
from grids.access import area_or_404
from grids.scope import scope_paths
from safety import services
from safety.forms import FixedForm, HazardFilter, PatrolForm, RecheckForm
from safety.models import Hazard, Patrol, PatrolAnswer, PatrolPhoto, intervals
from safety.policy import SafetyCapability, may_act_on_hazard, may_patrol
from safety.selectors import by_due, overdue, places_with_due, under, with_due
from visits.models import Place

PAGE_SIZE = 25


@login_required
def my_places(request):
    """The places of the grids I patrol, those due first."""
    paths = scope_paths(request.user, SafetyCapability.PATROL)
    places = places_with_due(Place.objects.filter(under(paths))) if paths else []
    return render(request, "safety/my_places.html", {"places": places})


@login_required
def area_places(request, code: str):
    """A street's or district's places, due first, a page at a time."""
    area = area_or_404(request.user, code)
    days = intervals()
    places = by_due(Place.objects.visible_to(request.user).filter(under([area.path])), days)
    page = Paginator(places, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "safety/area_places.html",
        {
            "area": area,
            "places": with_due(page.object_list, days),
            "page": page,
            "keep": keep.urlencode(),
            "due": overdue(places).count(),
        },
    )


@login_required
def patrol(request, pk: int):
    place = get_object_or_404(Place.objects.visible_to(request.user).select_related("grid"), pk=pk)
    if not may_patrol(request.user, place.grid):
        raise PermissionDenied
    items = services.checklist(place.kind)
    form = PatrolForm(request.POST or None, request.FILES or None, items=items)
    done = submit_form(
        request,
        form,
        lambda data, _v: services.record_patrol(
            by=request.user,
            place=place,
            answers=form.answers(),
            notes=data["notes"],
            responsible_name=data["responsible_name"],
            responsible_phone=data["responsible_phone"],
        ),
        _("The patrol is recorded."),
    )
    if done is not NOT_SAVED:
        return redirect("safety_patrol_detail", pk=done.pk)
    return render(request, "safety/patrol_form.html", {"place": place, "form": form})


@login_required
def patrol_detail(request, pk: int):
    patrol = get_object_or_404(
        Patrol.objects.visible_to(request.user)
        .select_related("place", "grid", "by")
        .prefetch_related(
            Prefetch(
                "answers",
                PatrolAnswer.objects.select_related("item", "hazard").prefetch_related("photos"),
            )
        ),
        pk=pk,
    )
    return render(request, "safety/patrol_detail.html", {"patrol": patrol})


@login_required
def area_hazards(request, code: str):
    area = area_or_404(request.user, code)
    form = HazardFilter(request.GET or None)
    show = form.cleaned_data.get("show") if form.is_valid() else ""
    show = show or "open"
    hazards = Hazard.objects.visible_to(request.user).filter(grid__path__startswith=area.path)
    today = timezone.localdate()
    if show == "open":
        hazards = hazards.unresolved()
    elif show == "overdue":
        hazards = hazards.overdue(today)
    elif show == "major":
        hazards = hazards.filter(severity="major").unresolved()
    page = Paginator(
        hazards.select_related("place", "grid").order_by("fix_by", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "safety/area_hazards.html",
        {
            "area": area,
            "hazards": page.object_list,
            "page": page,
            "keep": keep.urlencode(),
            "form": form,
            "show": show,
            "today": today,
        },
    )


def _hazard(request, pk: int) -> Hazard:
    return get_object_or_404(
        Hazard.objects.visible_to(request.user).select_related(
            "place", "grid", "answer__patrol__by", "rechecked_by", "ticket"
        ),
        pk=pk,
    )


@login_required
def hazard_detail(request, pk: int):
    hazard = _hazard(request, pk)
    may_act = may_act_on_hazard(request.user, hazard.grid)
    photos = list(hazard.answer.photos.all()) if hazard.answer_id else []
    return render(
        request,
        "safety/hazard_detail.html",
        {
            "hazard": hazard,
            "photos": photos,
            "may_act": may_act,
            "fixed_form": FixedForm(),
            "recheck_form": RecheckForm(),
            "overdue": hazard.is_overdue(),
        },
    )


def _act(request, pk: int, form_class, write, success: str):
    hazard = _hazard(request, pk)
    if not may_act_on_hazard(request.user, hazard.grid):
        raise PermissionDenied
    form = form_class(request.POST)
    done = submit_form(request, form, lambda data, _v: write(hazard, data), success)
    if done is NOT_SAVED:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("safety_hazard", pk=hazard.pk)


@login_required
@require_POST
def hazard_fixed(request, pk: int):
    return _act(
        request,
        pk,
        FixedForm,
        lambda hazard, data: services.mark_fixed(by=request.user, hazard=hazard, note=data["note"]),
        _("Marked fixed: it waits for a re-check."),
    )


@login_required
@require_POST
def hazard_recheck(request, pk: int):
    return _act(
        request,
        pk,
        RecheckForm,
        lambda hazard, data: services.recheck(
            by=request.user, hazard=hazard, passed=data["passed"], fix_by=data["fix_by"]
        ),
        _("The re-check is recorded."),
    )


@login_required
def photo(request, pk: int):
    found = get_object_or_404(PatrolPhoto.objects.visible_to(request.user), pk=pk)
    return found.serve()
