"""The community's work: verifying items (社区核实), the annual minimum, rewards handed
over at a station and residents' conduct recorded."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import Branch, PartyMember
from core.forms import NOT_SAVED, submit_form
from grids.access import area_or_404, community_or_404
from grids.models import Area, Resident
from grids.scope import can
from grids.views import breadcrumbs
from points import selectors, services
from points.forms import ConductForm, ReasonForm, RedeemForm
from points.models import Account, Batch, Declaration, Redemption, Reward, Rule, Scheme
from points.policy import PointsCapability
from points.views.common import ITEMS, item_or_404, refused
from stations.policy import StationCapability

# --- 社区核实 ----------------------------------------------------------------------------------


def waiting_in(community: Area):
    """Items the community has to decide: submitted batches' items, proposals, records."""
    return (
        Declaration.objects.filter(
            Q(batch__isnull=True) | Q(batch__state=Batch.State.SUBMITTED),
            account__community=community,
            state=Declaration.State.COLLECTED,
        )
        .select_related(*ITEMS, "batch__branch")
        .prefetch_related("photos", "objections")
        .order_by("batch_id", "served_on", "pk")
    )


@login_required
def verify_list(request, code):
    community = community_or_404(request.user, code, PointsCapability.VERIFY_POINTS)
    return render(
        request,
        "points/verify.html",
        {
            "area": community,
            "breadcrumbs": breadcrumbs(request, community),
            "items": waiting_in(community),
            # Community staff may stand in for a branch's convener (召集人).
            "branches": Branch.objects.filter(community=community)
            .annotate(
                n_new=Count(
                    "members__point_accounts__declarations",
                    filter=Q(
                        members__point_accounts__declarations__state=Declaration.State.DECLARED
                    ),
                )
            )
            .order_by("code"),
        },
    )


@login_required
@require_POST
def verify_item(request, pk):
    item = item_or_404(request, pk)
    form = ReasonForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            services.verify(
                by=request.user,
                declaration=item,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, _("Approved: the points are posted.") if approve else _("Rejected.")
            )
        except ValidationError as error:
            refused(request, error)
    return redirect("points_verify", code=item.account.community.code)


# --- The annual minimum ------------------------------------------------------------------------


@login_required
def minimum(request, code):
    area = area_or_404(request.user, code)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    members = PartyMember.objects.visible_to(request.user).filter(
        community__path__startswith=area.path
    )
    return render(
        request,
        "points/minimum.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 3, -1),
            "unmet": selectors.minimum_unmet(members=members, year=year)[:500],
        },
    )


# --- Rewards and residents' conduct -----------------------------------------------------------


def _holder_q(query: str) -> Q:
    return (
        Q(member__name__icontains=query)
        | Q(resident__name__icontains=query)
        | Q(user__username__icontains=query)
        | Q(user__first_name__icontains=query)
    )


@login_required
def rewards(request, code):
    community = community_or_404(request.user, code)
    may_redeem = can(request.user, StationCapability.MANAGE_STATIONS, community)
    catalogue = Reward.objects.filter(community=community, active=True).select_related(
        "station", "scheme"
    )
    query = request.GET.get("q", "").strip()[:30]
    accounts = Account.objects.none()
    if may_redeem and query:
        accounts = (
            Account.objects.filter(
                _holder_q(query),
                community=community,
                balance__gt=0,
                scheme__in=catalogue.values("scheme"),  # only who can spend here
            )
            .select_related("member", "resident", "user", "scheme")
            .order_by("pk")[:20]
        )
    form = RedeemForm(
        request.POST or None,
        accounts=Account.objects.filter(community=community)
        if request.method == "POST"
        else accounts,
        rewards=catalogue.filter(stock__gt=0),
    )
    if request.method == "POST":
        if not may_redeem:
            raise PermissionDenied
        done = submit_form(
            request,
            form,
            lambda data, _v: services.redeem(
                account=data["account"],
                reward=data["reward"],
                by=request.user,
                idempotency_key=f"redeem:{data['key']}",
            ),
            _("Handed over: the points are taken off."),
        )
        if done is not NOT_SAVED:
            return redirect("points_rewards", code=community.code)
    recent = (
        Redemption.objects.filter(reward__community=community)
        .select_related("reward", "account__member", "account__resident", "account__user")
        .order_by("-created_at")[:10]
        if may_redeem
        else []
    )
    return render(
        request,
        "points/rewards.html",
        {
            "area": community,
            "breadcrumbs": breadcrumbs(request, community),
            "catalogue": catalogue,
            "may_redeem": may_redeem,
            "may_manage": can(request.user, PointsCapability.MANAGE_REWARDS, community),
            "form": form,
            "query": query,
            "accounts": accounts,
            "recent": recent,
        },
    )


@login_required
def record_conduct(request, code):
    community = community_or_404(request.user, code, StationCapability.MANAGE_STATIONS)
    query = request.GET.get("q", "").strip()[:30]
    residents = Resident.objects.visible_to(request.user).filter(
        household__grid__path__startswith=community.path
    )
    shown = (
        residents.filter(name__icontains=query).select_related("household")[:20]
        if query
        else residents.none()
    )
    rules = Rule.objects.filter(
        superseded_at__isnull=True, scheme__active=True, scheme__audience=Scheme.Audience.RESIDENTS
    ).select_related("scheme")
    form = ConductForm(
        request.POST or None,
        request.FILES or None,
        residents=residents if request.method == "POST" else shown,
        rules=rules,
    )

    def write(data, _version):
        resident = data.pop("resident")
        account = services.open_account(scheme=data["rule"].scheme, resident=resident)
        return services.record_conduct(by=request.user, account=account, **data)

    done = submit_form(request, form, write, _("Recorded."))
    if done is not NOT_SAVED:
        return redirect("points_record", code=community.code)
    recent = (
        Declaration.objects.filter(origin=Declaration.Origin.RECORDED, account__community=community)
        .select_related(*ITEMS)
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "points/record.html",
        {
            "area": community,
            "breadcrumbs": breadcrumbs(request, community),
            "form": form,
            "query": query,
            "shown": shown,
            "recent": recent,
        },
    )
