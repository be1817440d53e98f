"""The career ladder's pages: the street's open proposals, its decision on one, and a worker's
grade set by hand from their scorecard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal import ladder_services
from appraisal.forms import DecideForm, SetGradeForm
from appraisal.ladder import ROLE_TRACK, Grade, GradeHolding, Promotion
from appraisal.models import Scorecard
from appraisal.policy import LadderCapability, may_decide_promotions
from core.forms import NOT_SAVED, submit_form
from grids.access import area_or_404
from grids.models import Area, ancestor_paths
from grids.roles import Level
from grids.scope import can

STREET_LEVELS = (Level.STREET, Level.TOWN)


def grade_history(worker) -> list[GradeHolding]:
    """A worker's grades, the current first (one query)."""
    return list(
        GradeHolding.objects.filter(worker=worker)
        .select_related("grade", "granted_by")
        .order_by("-since", "-pk")
    )


@login_required
def card_grade(request, pk: int):
    """Set the grade of a card's worker by hand (district or street staff over their grid).
    A card the user cannot open is not found; one they read but may not act on is refused."""
    card = get_object_or_404(
        Scorecard.objects.readable_by(request.user).select_related("worker"), pk=pk
    )
    worker = card.worker
    post = ladder_services.grade_setter(request.user, worker)
    if post is None:
        raise PermissionDenied
    holdings = grade_history(worker)
    current = holdings[0] if holdings and holdings[0].until is None else None
    form = SetGradeForm(
        request.POST or None,
        grades=list(Grade.objects.filter(active=True).order_by("track", "level")),
        track=current.grade.track if current else ROLE_TRACK[post.role],
        initial={"since": timezone.localdate()},
    )
    saved = submit_form(
        request,
        form,
        lambda data, _version: ladder_services.set_grade(by=request.user, worker=worker, **data),
        _("The grade is set."),
    )
    if saved is not NOT_SAVED:
        return redirect(reverse("appraisal_card", args=[card.pk]) + "#grade")
    return render(
        request,
        "appraisal/grade_form.html",
        {"card": card, "worker": worker, "current": current, "post": post, "form": form},
    )


RECENT_DECISIONS = 20


@login_required
def promotions(request, code: str):
    """A street's open proposals with the figures behind them, each with its decision form."""
    area = area_or_404(request.user, code, levels=STREET_LEVELS)
    if not may_decide_promotions(request.user, area):
        raise PermissionDenied
    proposals = list(
        Promotion.objects.open()
        .filter(grid__path__startswith=area.path)
        .select_related("worker", "grid", "from_grade", "to_grade")
        .order_by("grid__path", "worker__username")
    )
    # What was decided lately stays in sight: the street answers for its decisions.
    decided = list(
        Promotion.objects.filter(grid__path__startswith=area.path, decided_at__isnull=False)
        .select_related("worker", "to_grade", "decided_by")
        .order_by("-decided_at")[:RECENT_DECISIONS]
    )
    return render(
        request,
        "appraisal/promotions.html",
        {"area": area, "proposals": proposals, "decided": decided, "form": DecideForm()},
    )


@login_required
@require_POST
def decide(request, pk: int):
    proposal = get_object_or_404(
        Promotion.objects.visible_to(request.user).select_related("grid"), pk=pk
    )
    if not can(request.user, LadderCapability.DECIDE_PROMOTIONS, proposal.grid):
        raise PermissionDenied
    street = (
        Area.objects.filter(level__in=STREET_LEVELS, path__in=ancestor_paths(proposal.grid.path))
        .only("code")
        .first()
    )
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why: a decision needs a reason."))
    else:
        try:
            ladder_services.decide_promotion(
                by=request.user,
                proposal=proposal,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("appraisal_promotions", code=street.code)
