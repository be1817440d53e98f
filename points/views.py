"""Points pages: a member's own points and declarations, the convener's collection, the
community's verification and publicity, rankings, the annual minimum, red/black lists, the
appraisal export, rewards at a station and residents' conduct."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import COMMUNITY_LEVELS, Branch, PartyMember
from core.excel import xlsx_response
from core.forms import NOT_SAVED, submit_form
from core.images import serve_private
from grids.models import Area, Resident
from grids.roles import Capability
from grids.scope import can, path_q, scope_paths
from grids.views import breadcrumbs
from points import periods, selectors, services
from points.forms import (
    ConductForm,
    DeclarationForm,
    ObjectionForm,
    ReasonForm,
    RedeclareForm,
    RedeemForm,
)
from points.models import (
    Account,
    Batch,
    Declaration,
    DeclarationPhoto,
    Entry,
    HonourList,
    HonourPeriod,
    HonourRow,
    Redemption,
    Reward,
    Rule,
    Scheme,
)

ITEMS = ("rule", "account__member__branch", "account__resident", "account__user", "station")


# --- Access helpers -------------------------------------------------------------------------


def _area(request, code: str, capability: str | None = None) -> Area:
    area = get_object_or_404(Area.objects.visible_to(request.user), code=code)
    if capability and not can(request.user, capability, area):
        raise PermissionDenied
    return area


def _community(request, code: str, capability: str | None = None) -> Area:
    area = _area(request, code, capability)
    if area.level not in COMMUNITY_LEVELS:
        raise Http404
    return area


def _convened_branch(request, code: str) -> Branch:
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("community", "secretary"),
        code=code,
    )
    if not services.is_convener(request.user, branch):
        raise PermissionDenied
    return branch


def _item(request, pk: int) -> Declaration:
    return get_object_or_404(
        Declaration.objects.visible_to(request.user).select_related(
            *ITEMS, "account__community", "account__scheme", "batch__branch"
        ),
        pk=pk,
    )


def _period(request) -> periods.Period:
    return periods.parse(request.GET.get("period")) or periods.containing(
        timezone.localdate(), "year"
    )


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _member_rules():
    """Rules members declare by: not the one closed requests earn by (that is proposed)."""
    ticket_rule = services.ticket_rule()
    return (
        Rule.objects.filter(
            superseded_at__isnull=True,
            scheme__active=True,
            scheme__audience=Scheme.Audience.MEMBERS,
        )
        .exclude(pk=ticket_rule.pk if ticket_rule else None)
        .select_related("scheme")
        .order_by("scheme__code", "code")
    )


# --- A member's own points ------------------------------------------------------------------


@login_required
def my_points(request):
    user = request.user
    accounts = list(
        Account.objects.filter(Q(user=user) | Q(member__user=user))
        .select_related("scheme", "community", "member__branch")
        .order_by("scheme__code")
    )
    entries = list(
        Entry.objects.filter(account__in=accounts).select_related("rule", "account__scheme")[:15]
    )
    mine = list(
        Declaration.objects.filter(created_by=user, origin=Declaration.Origin.DECLARED)
        .select_related("rule")
        .order_by("-created_at")[:15]
    )
    year = periods.containing(timezone.localdate(), "year")
    standings = []
    for account in accounts:
        unit = account.member.branch if account.member and account.member.branch else None
        unit = unit or account.community
        standings.append(
            (account, unit, selectors.standing_of(account=account, unit=unit, period=year))
        )
    member = getattr(user, "party_member", None)
    return render(
        request,
        "points/my_points.html",
        {
            "accounts": accounts,
            "entries": entries,
            "mine": mine,
            "standings": standings,
            "year": year,
            "can_declare": member is not None and _member_rules().exists(),
            "work": _work_links(user),
        },
    )


def _work_links(user) -> list[tuple[str, str]]:
    """The points pages the user works on: their branches to convene, their communities."""
    links = []
    for branch in Branch.objects.filter(secretary__user=user).order_by("code"):
        links.append(
            (
                _("Collect declarations · %(b)s") % {"b": branch.name},
                reverse("points_collect", args=[branch.code]),
            )
        )
    verify = scope_paths(user, Capability.VERIFY_POINTS)
    if verify:  # superusers (None) use the area pages instead of a list of every community
        communities = Area.objects.filter(path_q(verify, "path"), level__in=COMMUNITY_LEVELS)
        for community in communities.order_by("path")[:10]:
            links.append(
                (
                    _("Verify · %(c)s") % {"c": community.name},
                    reverse("points_verify", args=[community.code]),
                )
            )
    return links


@login_required
def declare(request):
    member = getattr(request.user, "party_member", None)
    if member is None:
        raise PermissionDenied
    form = DeclarationForm(
        request.POST or None,
        request.FILES or None,
        rules=_member_rules(),
        stations=_stations_near(member),
    )

    def write(data, _version):
        account = services.open_account(scheme=data["rule"].scheme, member=member)
        return services.declare(by=request.user, account=account, **data)

    if (
        submit_form(request, form, write, _("Declared. Your convener collects it next."))
        is not NOT_SAVED
    ):
        return redirect("my_points")
    return render(request, "points/declare.html", {"form": form})


def _stations_near(member: PartyMember):
    from stations.models import Station

    return Station.objects.filter(area__path__startswith=member.community.path).order_by("name")


@login_required
def redeclare(request, pk):
    item = _item(request, pk)
    if item.created_by_id != request.user.pk:
        raise Http404
    form = RedeclareForm(
        request.POST or None, initial={"hours": item.hours, "description": item.description}
    )
    done = submit_form(
        request,
        form,
        lambda data, _v: services.redeclare(by=request.user, declaration=item, **data),
        _("Declared again."),
    )
    if done is not NOT_SAVED:
        return redirect("my_points")
    return render(request, "points/redeclare.html", {"form": form, "item": item})


@login_required
def item_detail(request, pk):
    item = _item(request, pk)
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
    return serve_private(found.image)


# --- 召集人汇总 ----------------------------------------------------------------------------------


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
                _refused(request, error)
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
    item = _item(request, pk)
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
            _refused(request, error)
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
        _refused(request, error)
    return redirect("points_collect", code=batch.branch.code)


# --- 社区核实 and 公示 ----------------------------------------------------------------------------


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
    community = _community(request, code, Capability.VERIFY_POINTS)
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
    item = _item(request, pk)
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
            _refused(request, error)
    return redirect("points_verify", code=item.account.community.code)


@login_required
def publicity(request, code):
    community = _community(request, code)
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
    item = _item(request, pk)
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


# --- Rankings, the minimum, red/black lists, the export ---------------------------------------


@login_required
def rankings(request, code):
    area = _area(request, code)
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
    period = _period(request)
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
def minimum(request, code):
    area = _area(request, code)
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


@login_required
def honours(request, code):
    area = _area(request, code)
    lists = list(HonourList.objects.filter(active=True).select_related("scheme"))
    published = (
        HonourPeriod.objects.filter(area=area, honour_list__in=lists)
        .select_related("honour_list", "published_by")
        .prefetch_related(Prefetch("rows", queryset=HonourRow.objects.order_by("board", "rank")))
        .order_by("-period", "honour_list_id")
    )
    may_publish = can(request.user, Capability.MANAGE_BRANCHES, area)
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
                _refused(request, error)
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
            "ended": ended,
        },
    )


@login_required
def export(request, code):
    """The period's points per member for the annual appraisal (评优评先), as Excel."""
    from openpyxl import Workbook

    area = _area(request, code, Capability.EXPORT)
    period = _period(request)
    scheme = (
        Scheme.objects.filter(active=True, audience=Scheme.Audience.MEMBERS)
        .order_by("code")
        .first()
    )
    members = PartyMember.objects.visible_to(request.user).filter(
        community__path__startswith=area.path
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=period.key)
    sheet.append(
        [
            _("Points per party member: %(area)s, %(period)s")
            % {"area": area.name, "period": period.label}
        ]
    )
    sheet.append(
        [
            _("Community"),
            _("Branch"),
            _("Name"),
            _("Kind"),
            _("Work unit"),
            _("Points counted"),
            _("Verified services"),
            _("Annual minimum met"),
        ]
    )
    for row in selectors.appraisal_rows(members=members, scheme=scheme, period=period).iterator(
        chunk_size=2000
    ):
        sheet.append(
            [
                row.community.name,
                row.branch.name if row.branch else "",
                row.name,
                row.get_kind_display(),
                row.work_unit,
                row.n_points,
                row.n_services,
                _("yes") if row.minimum_met else _("no"),
            ]
        )
    return xlsx_response(book, f"points-{area.code}-{period.key}.xlsx")


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
    community = _community(request, code)
    may_redeem = can(request.user, Capability.MANAGE_STATIONS, community)
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
            "form": form,
            "query": query,
            "accounts": accounts,
            "recent": recent,
        },
    )


@login_required
def record_conduct(request, code):
    community = _community(request, code, Capability.MANAGE_STATIONS)
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
