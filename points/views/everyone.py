"""Pages for everyone who can see the community: an item and its photos, the publicity
list and objections to it (公示), rankings and the red/black lists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from branches.policy import BranchCapability
from core.forms import NOT_SAVED, submit_form
from core.replica import reads_from_replica
from grids.access import area_or_404, community_or_404
from grids.models import Area
from grids.roles import Level
from grids.scope import can
from grids.views import breadcrumbs
from points import periods, selectors, services
from points.forms import ObjectionForm
from points.models import (
    Declaration,
    DeclarationPhoto,
    Entry,
    HonourList,
    HonourPeriod,
    HonourRow,
    Scheme,
)
from points.policy import PointsCapability
from points.views.common import ITEMS, item_or_404, period_asked, refused

# Where red and black lists are set up: a street (or town), or the district.
SET_UP_LEVELS = (Level.DISTRICT, Level.STREET, Level.TOWN)

# --- An item -----------------------------------------------------------------------------------


@login_required
def item_detail(request, pk):
    item = item_or_404(request, pk)
    return render(
        request,
        "points/item_detail.html",
        {
            "item": item,
            "steps": item.steps.select_related("actor"),
            "photos": item.photos.all(),
            "entries": Entry.objects.filter(source=f"declaration:{item.pk}").select_related(
                "posted_by"
            ),
            "objections": item.objections.select_related("raised_by"),
        },
    )


@login_required
def photo(request, pk):
    found = get_object_or_404(
        DeclarationPhoto.objects.filter(
            declaration__in=Declaration.objects.visible_to(request.user)
        ),
        pk=pk,
    )
    return found.serve()


# --- 公示 ---------------------------------------------------------------------------------------


@login_required
def publicity(request, code):
    community = community_or_404(request.user, code)
    now = timezone.now()
    items = (
        Declaration.objects.filter(
            account__community=community, state=Declaration.State.APPROVED, public_until__gt=now
        )
        .select_related(*ITEMS)
        .order_by("public_until", "pk")
    )
    return render(
        request,
        "points/publicity.html",
        {
            "area": community,
            "breadcrumbs": breadcrumbs(request, community),
            "items": items,
            "form": ObjectionForm(),
        },
    )


@login_required
def object_to(request, pk):
    item = item_or_404(request, pk)
    form = ObjectionForm(request.POST or None)
    done = submit_form(
        request,
        form,
        lambda data, _v: services.object_to(by=request.user, declaration=item, **data),
        _("Objection recorded: the item goes back to the community."),
    )
    if done is not NOT_SAVED:
        return redirect("points_publicity", code=item.account.community.code)
    return render(request, "points/object.html", {"form": form, "item": item})


# --- Rankings and red/black lists -------------------------------------------------------------


@login_required
@reads_from_replica()
def rankings(request, code):
    area = area_or_404(request.user, code)
    branch = None
    if request.GET.get("branch"):
        branch = get_object_or_404(
            Branch.objects.visible_to(request.user).filter(community__path__startswith=area.path),
            code=request.GET["branch"],
        )
    audience = request.GET.get("audience")
    if audience not in (selectors.Audience.MEMBERS, selectors.Audience.RESIDENTS):
        audience = selectors.Audience.MEMBERS
    schemes = list(Scheme.objects.filter(active=True))
    scheme = next((s for s in schemes if s.code == request.GET.get("scheme")), None)
    wanted = Scheme.Audience.MEMBERS if audience == "members" else Scheme.Audience.RESIDENTS
    scheme = scheme or next((s for s in schemes if s.audience == wanted), None)
    period = period_asked(request)
    board = (
        selectors.leaderboard(scheme=scheme, unit=branch or area, period=period, audience=audience)
        if scheme
        else []
    )
    return render(
        request,
        "points/rankings.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "branch": branch,
            "branches": Branch.objects.filter(community__path__startswith=area.path).order_by(
                "code"
            )[:200],
            "audience": audience,
            "scheme": scheme,
            "schemes": schemes,
            "period": period,
            "period_choices": periods.choices(),
            "board": board,
        },
    )


@login_required
def honours(request, code):
    area = area_or_404(request.user, code)
    # District-wide lists, and those of the street the area is in (or is).
    above = [area.path[:end] for end in range(Area.steplen, len(area.path) + 1, Area.steplen)]
    lists = list(
        HonourList.objects.filter(Q(area__isnull=True) | Q(area__path__in=above), active=True)
        .select_related("scheme")
        .order_by("pk")
    )
    published = (
        HonourPeriod.objects.filter(area=area, honour_list__in=lists)
        .select_related("honour_list", "published_by")
        .prefetch_related(Prefetch("rows", queryset=HonourRow.objects.order_by("board", "rank")))
        .order_by("-period", "honour_list_id")
    )
    may_publish = can(request.user, BranchCapability.MANAGE_BRANCHES, area)
    if request.method == "POST":
        if not may_publish:
            raise PermissionDenied
        chosen = next((h for h in lists if str(h.pk) == request.POST.get("list")), None)
        period = periods.parse(request.POST.get("period"))
        if chosen is None or period is None:
            messages.error(request, _("Choose a list and a period."))
        else:
            try:
                services.publish_honours(
                    by=request.user, honour_list=chosen, area=area, period=period
                )
                messages.success(request, _("Published: the list is frozen for this period."))
            except ValidationError as error:
                refused(request, error)
        return redirect("points_honours", code=area.code)
    ended = [p for p in periods.choices() if p.ended and p.kind != "month"]
    published = list(published)
    for entry in published:
        entry.label = periods.parse(entry.period).label
        entry.boards = [
            (board, label, [r for r in entry.rows.all() if r.board == board])
            for board, label in HonourRow.Board.choices
        ]
    return render(
        request,
        "points/honours.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "lists": lists,
            "published": published,
            "may_publish": may_publish,
            "may_set_up": area.level in SET_UP_LEVELS
            and can(request.user, PointsCapability.SET_UP_HONOUR_LISTS, area),
            "ended": ended,
        },
    )
