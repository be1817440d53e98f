"""The branch convener (召集人) collects the members' declarations and submits them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import Branch
from points import services
from points.forms import ReasonForm
from points.models import Batch, Declaration
from points.policy import is_convener
from points.views.common import ITEMS, item_or_404, refused


def _convened_branch(request, code: str) -> Branch:
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("community", "secretary"),
        code=code,
    )
    if not is_convener(request.user, branch):
        raise PermissionDenied
    return branch


@login_required
def collect(request, code):
    branch = _convened_branch(request, code)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()]
        if not ids:
            messages.error(request, _("Tick the declarations to collect."))
        else:
            try:
                services.collect(
                    by=request.user,
                    branch=branch,
                    declarations=Declaration.objects.filter(pk__in=ids),
                )
                messages.success(request, _("Collected into a batch."))
            except ValidationError as error:
                refused(request, error)
        return redirect("points_collect", code=branch.code)
    declared = (
        Declaration.objects.filter(state=Declaration.State.DECLARED, account__member__branch=branch)
        .select_related(*ITEMS)
        .annotate(n_photos=Count("photos"))
        .order_by("served_on", "pk")
    )
    items = Declaration.objects.select_related(*ITEMS).annotate(n_photos=Count("photos"))
    working = (
        Batch.objects.filter(branch=branch)
        .exclude(state=Batch.State.VERIFIED)
        .prefetch_related(Prefetch("declarations", queryset=items.order_by("served_on", "pk")))
        .order_by("-created_at")
    )
    done = (
        Batch.objects.filter(branch=branch, state=Batch.State.VERIFIED)
        .annotate(
            n_items=Count("declarations"),
            n_approved=Count(
                "declarations", filter=Q(declarations__state=Declaration.State.APPROVED)
            ),
        )
        .order_by("-created_at")[:6]
    )
    return render(
        request,
        "points/collect.html",
        {"branch": branch, "declared": declared, "batches": working, "done": done},
    )


@login_required
@require_POST
def return_item(request, pk):
    item = item_or_404(request, pk)
    form = ReasonForm(request.POST)
    branch = item.batch.branch if item.batch_id else None
    if branch is None:
        raise Http404
    if form.is_valid():
        try:
            services.return_item(
                by=request.user, declaration=item, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Returned to the member."))
        except ValidationError as error:
            refused(request, error)
    return redirect("points_collect", code=branch.code)


@login_required
@require_POST
def submit_batch(request, pk):
    batch = get_object_or_404(
        Batch.objects.filter(branch__in=Branch.objects.visible_to(request.user)), pk=pk
    )
    try:
        services.submit_batch(by=request.user, batch=batch)
        messages.success(request, _("Submitted to the community for verification."))
    except ValidationError as error:
        refused(request, error)
    return redirect("points_collect", code=batch.branch.code)
