from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import selectors, services
from branches.forms import (
    BranchForm,
    DecisionForm,
    GroupForm,
    MeetingForm,
    MemberForm,
    RegistrationForm,
    ServiceForm,
    UnitForm,
)
from branches.models import (
    COMMUNITY_LEVELS,
    Branch,
    BranchGrid,
    CoBuildingUnit,
    HouseholdLink,
    JointMeeting,
    PartyMember,
    Registration,
)
from branches.navigation import decision_links
from branches.policy import BranchCapability
from core.clientip import client_ip
from core.forms import NOT_SAVED, apply_errors, submit_form
from core.history import history_for
from core.ratelimit import ip_limit, too_many_requests
from grids.access import area_or_404, community_or_404
from grids.models import Area, Household
from grids.scope import can
from grids.views import breadcrumbs

PAGE_SIZE = 25


# --- Access helpers -------------------------------------------------------------------------


def _branch(request, code: str, capability: str | None = None) -> Branch:
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("community", "secretary"),
        code=code,
    )
    if capability and not can(request.user, capability, branch.community):
        raise PermissionDenied
    return branch


def _member(request, pk: int, capability: str | None = None) -> PartyMember:
    member = get_object_or_404(
        PartyMember.objects.visible_to(request.user).select_related("community", "branch", "user"),
        pk=pk,
    )
    if capability and not can(request.user, capability, member.community):
        raise PermissionDenied
    return member


def _can_link(request, member: PartyMember) -> bool:
    """Community staff link anywhere in the community; a grid leader in the branch's grids."""
    if can(request.user, BranchCapability.LINK_HOUSEHOLDS, member.community):
        return True
    return any(
        can(request.user, BranchCapability.LINK_HOUSEHOLDS, link.grid)
        for link in BranchGrid.objects.filter(branch=member.branch_id).select_related("grid")
    )


def _crumbs(request, area: Area):
    return [*breadcrumbs(request, area), (area, True)]


def _form_page(request, form, area: Area, title: str):
    return render(
        request,
        "branches/form.html",
        {
            "form": form,
            "area": area,
            "breadcrumbs": _crumbs(request, area),
            "title": title,
        },
    )


# --- Branch coverage and branches -----------------------------------------------------------


@login_required
def area_branches(request, code):
    area = area_or_404(request.user, code)
    return render(
        request,
        "branches/area_branches.html",
        {
            "area": area,
            "breadcrumbs": _crumbs(request, area),
            "coverage": selectors.branch_coverage(area),
            "branches": selectors.branches_under(area, request.user),
            "can_manage": area.level in COMMUNITY_LEVELS
            and can(request.user, BranchCapability.MANAGE_BRANCHES, area),
        },
    )


@login_required
def branch_detail(request, code):
    branch = _branch(request, code)
    selectors.mark_one_shoulder([branch])
    members = selectors.members_with_link_counts(
        branch.members.filter(active=True).select_related("party_group").order_by("name")
    )
    groups = branch.groups.select_related("leader").prefetch_related("micro_grids")
    gaps = selectors.link_gaps(Area.objects.filter(branch_link__branch=branch))
    return render(
        request,
        "branches/branch_detail.html",
        {
            "branch": branch,
            "area": branch.community,
            "breadcrumbs": _crumbs(request, branch.community),
            "grids": [
                link.grid for link in branch.coverage.select_related("grid").order_by("grid__path")
            ],
            "members": members,
            "groups": groups,
            "gaps": gaps,
            "can_manage": can(request.user, BranchCapability.MANAGE_BRANCHES, branch.community),
            "history": history_for(branch),
        },
    )


def _branch_form(request, community: Area, branch: Branch | None):
    form = BranchForm(request.POST or None, community=community, branch=branch)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.save_branch(
            by=request.user,
            community=community,
            branch=branch,
            code=branch.code if branch else data["code"],
            name=data["name"],
            grids=data["grids"],
            secretary=data["secretary"],
            founded_on=data["founded_on"],
        ),
        _("Branch saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("branch_detail", code=saved.code)
    return _form_page(
        request, form, community, _("Edit branch") if branch else _("New party branch")
    )


@login_required
def branch_create(request, code):
    return _branch_form(
        request, community_or_404(request.user, code, BranchCapability.MANAGE_BRANCHES), None
    )


@login_required
def branch_edit(request, code):
    branch = _branch(request, code, BranchCapability.MANAGE_BRANCHES)
    return _branch_form(request, branch.community, branch)


@login_required
def group_create(request, code):
    branch = _branch(request, code, BranchCapability.MANAGE_BRANCHES)
    form = GroupForm(request.POST or None, branch=branch)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.save_group(by=request.user, branch=branch, **data),
        _("Party group saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("branch_detail", code=branch.code)
    return _form_page(
        request,
        form,
        branch.community,
        _("New party group of %(branch)s") % {"branch": branch.name},
    )


# --- Members and 联户 -----------------------------------------------------------------------


def _member_form(request, community: Area, member: PartyMember | None):
    form = MemberForm(
        request.POST or None,
        instance=member,
        community=community,
        initial={"branch": request.GET.get("branch")},
    )
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.save_member(
            by=request.user, community=community, member=member, **data
        ),
        _("Party member saved."),
    )
    if saved is not NOT_SAVED:
        account_message(request, saved, getattr(saved, "account", None))
        return redirect("member_detail", pk=saved.pk)
    return _form_page(
        request, form, community, _("Edit party member") if member else _("New party member")
    )


@login_required
def member_create(request, code):
    return _member_form(
        request, community_or_404(request.user, code, BranchCapability.MANAGE_BRANCHES), None
    )


@login_required
def member_edit(request, pk):
    member = _member(request, pk, BranchCapability.MANAGE_BRANCHES)
    if request.method == "GET":
        services.open_member_for_editing(
            by=request.user, member=member, remote_addr=client_ip(request)
        )
    return _member_form(request, member.community, member)


def _account_state(member: PartyMember) -> str:
    """none / invited (no password yet) / active / inactive: the member's sign-in account."""
    user = member.user
    if user is None:
        return "none"
    if not user.is_active:
        return "inactive"
    return "active" if user.has_usable_password() else "invited"


@login_required
@require_POST
def member_invite(request, pk):
    """Make the member's account if needed and send the activation code (again)."""
    member = _member(request, pk, BranchCapability.MANAGE_BRANCHES)
    try:
        provided = services.invite_member(by=request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        account_message(request, member, provided)
    return redirect("member_detail", pk=member.pk)


@login_required
def member_detail(request, pk):
    member = _member(request, pk)
    links = member.links.select_related("household__grid").order_by("household__address")
    query = request.GET.get("q", "").strip()[:50]
    can_link = _can_link(request, member)
    candidates = []
    if query and can_link:
        candidates = list(
            Household.objects.visible_to(request.user)
            .filter(grid__path__startswith=member.community.path, address__icontains=query)
            .exclude(member_links__member=member)
            .select_related("grid")
            .order_by("address")[:20]
        )
    low, high = member.link_limits
    return render(
        request,
        "branches/member_detail.html",
        {
            "member": member,
            "history": history_for(member),
            "area": member.community,
            "breadcrumbs": _crumbs(request, member.community),
            "links": links,
            "limits": (low, high),
            "query": query,
            "candidates": candidates,
            "can_link": can_link,
            "can_manage": can(request.user, BranchCapability.MANAGE_BRANCHES, member.community),
            "account_state": _account_state(member),
            "can_verify": can(
                request.user, BranchCapability.VERIFY_REGISTRATIONS, member.community
            ),
            "registrations": member.registrations.prefetch_related("claims").select_related(
                "community"
            ),
            "services": member.services.all()[:20],
        },
    )


@login_required
@require_POST
def member_link(request, pk):
    member = _member(request, pk)
    if not _can_link(request, member):
        raise PermissionDenied
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("grid", "micro_grid"),
        pk=request.POST.get("household") or 0,
    )
    try:
        services.link_household(by=request.user, member=member, household=household)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(household)s linked.") % {"household": household.address})
    return redirect("member_detail", pk=member.pk)


@login_required
@require_POST
def link_remove(request, pk):
    link = get_object_or_404(
        HouseholdLink.objects.visible_to(request.user).select_related(
            "household__grid", "household__micro_grid"
        ),
        pk=pk,
    )
    services.unlink_household(by=request.user, link=link)
    messages.success(request, _("Link removed."))
    return redirect("member_detail", pk=link.member_id)


@login_required
def area_links(request, code):
    area = area_or_404(request.user, code)
    grid_code = request.GET.get("grid")
    grid = None
    page = None
    if grid_code:
        grid = get_object_or_404(Area.objects.under(area).grids(), code=grid_code)
        page = Paginator(selectors.unlinked_households(grid), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "branches/area_links.html",
        {
            "area": area,
            "breadcrumbs": _crumbs(request, area),
            "gaps": selectors.link_gaps(Area.objects.under(area).grids()),
            "grid": grid,
            "page": page,
        },
    )


# --- 双报到 ---------------------------------------------------------------------------------


@login_required
def area_registrations(request, code):
    community = community_or_404(request.user, code)
    registrations = Registration.objects.filter(community=community).select_related("member")
    return render(
        request,
        "branches/registrations.html",
        {
            "area": community,
            "breadcrumbs": _crumbs(request, community),
            "pending": selectors.pending_registrations(community),
            "confirmed": registrations.filter(status=Registration.Status.CONFIRMED)
            .annotate(
                service_count=Count(
                    "member__services", filter=Q(member__services__community=community)
                )
            )
            .order_by("member__name"),
            "rejected": registrations.filter(status=Registration.Status.REJECTED)[:20],
            "without_service": selectors.without_service(community),
            "can_verify": can(request.user, BranchCapability.VERIFY_REGISTRATIONS, community),
            "can_manage": can(request.user, BranchCapability.MANAGE_BRANCHES, community),
            "join_url": request.build_absolute_uri(f"/join/{community.code}/"),
        },
    )


def account_message(request, member, provided) -> None:
    """What became of the member's sign-in account (branches.services.member_account)."""
    if provided is None:
        return
    if provided.invitation is not None and provided.invitation.sms_sent:
        messages.info(
            request,
            _("An activation code was sent to %(name)s's mobile (%(phone)s).")
            % {"name": member.name, "phone": member.masked_phone},
        )
    elif provided.problem:
        messages.warning(request, provided.problem)


@login_required
@require_POST
def registration_decide(request, pk):
    registration = get_object_or_404(
        Registration.objects.visible_to(request.user).select_related("community", "member"),
        pk=pk,
    )
    if not can(request.user, BranchCapability.VERIFY_REGISTRATIONS, registration.community):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose confirm or reject."))
    else:
        try:
            decided = services.decide_registration(
                by=request.user,
                registration=registration,
                confirm=form.cleaned_data["confirm"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Registration of %(name)s decided.") % {"name": registration.member.name}
            )
            account_message(request, registration.member, getattr(decided, "account", None))
    return redirect("area_registrations", code=registration.community.code)


@login_required
def registration_create(request, code):
    community = community_or_404(request.user, code, BranchCapability.MANAGE_BRANCHES)
    form = RegistrationForm(request.POST or None)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.register_in_service_member(
            by=request.user,
            community=community,
            name=data["name"],
            phone=data["phone"],
            work_unit=data["work_unit"],
            posts=data["posts"],
        ),
        _("Registration recorded; confirm it in the queue."),
    )
    if saved is not NOT_SAVED:
        return redirect("area_registrations", code=community.code)
    return _form_page(request, form, community, _("Register an in-service member"))


JOIN_GROUP = "branches.public.join"


def join(request, code):
    """Public: an in-service member reports to the community where they live (双报到)."""
    community = get_object_or_404(Area, code=code, level__in=COMMUNITY_LEVELS)
    if request.method == "POST":
        wait = ip_limit(request, JOIN_GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
    form = RegistrationForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            done = True  # a bot: pretend success, store nothing
        else:
            try:
                services.register_in_service_member(
                    by=None,
                    community=community,
                    name=data["name"],
                    phone=data["phone"],
                    work_unit=data["work_unit"],
                    posts=data["posts"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done = True
    return render(
        request,
        "branches/join.html",
        {
            "community": community,
            "form": form,
            "done": done,
        },
    )


@login_required
def service_create(request, pk):
    member = _member(request, pk, BranchCapability.VERIFY_REGISTRATIONS)
    form = ServiceForm(request.POST or None)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.record_service(by=request.user, member=member, **data),
        _("Service recorded."),
    )
    if saved is not NOT_SAVED:
        return redirect("member_detail", pk=member.pk)
    return _form_page(
        request, form, member.community, _("Record a service by %(name)s") % {"name": member.name}
    )


# --- Co-building ----------------------------------------------------------------------------


@login_required
def area_cobuilding(request, code):
    community = community_or_404(request.user, code)
    return render(
        request,
        "branches/cobuilding.html",
        {
            "area": community,
            "breadcrumbs": _crumbs(request, community),
            "units": CoBuildingUnit.objects.filter(community=community).annotate(
                meeting_count=Count("meetings")
            ),
            "meetings": JointMeeting.objects.filter(community=community).prefetch_related(
                "units", "decisions"
            )[:20],
            "can_manage": can(request.user, BranchCapability.MANAGE_BRANCHES, community),
        },
    )


def _unit_form(request, community: Area, unit: CoBuildingUnit | None):
    form = UnitForm(request.POST or None, instance=unit)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.save_unit(
            by=request.user, community=community, unit=unit, **data
        ),
        _("Co-building unit saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("area_cobuilding", code=community.code)
    return _form_page(
        request, form, community, _("Edit co-building unit") if unit else _("New co-building unit")
    )


@login_required
def unit_create(request, code):
    return _unit_form(
        request, community_or_404(request.user, code, BranchCapability.MANAGE_BRANCHES), None
    )


@login_required
def unit_edit(request, pk):
    unit = get_object_or_404(
        CoBuildingUnit.objects.visible_to(request.user).select_related("community"), pk=pk
    )
    if not can(request.user, BranchCapability.MANAGE_BRANCHES, unit.community):
        raise PermissionDenied
    return _unit_form(request, unit.community, unit)


@login_required
def meeting_create(request, code):
    community = community_or_404(request.user, code, BranchCapability.MANAGE_BRANCHES)
    form = MeetingForm(request.POST or None, community=community)
    meeting = submit_form(
        request,
        form,
        lambda data, _v: services.record_meeting(
            by=request.user,
            community=community,
            held_on=data["held_on"],
            title=data["title"],
            topics=data["topics"],
            units=data["units"],
            attendees=data["attendees"],
            decisions=data["decisions"].splitlines(),
        ),
        _("Joint meeting recorded."),
    )
    if meeting is not NOT_SAVED:
        return redirect("meeting_detail", pk=meeting.pk)
    return _form_page(request, form, community, _("Record a joint meeting"))


@login_required
def meeting_detail(request, pk):
    meeting = get_object_or_404(
        JointMeeting.objects.visible_to(request.user)
        .select_related("community", "created_by")
        .prefetch_related("units", Prefetch("decisions")),
        pk=pk,
    )
    decisions = decision_links(request.user, meeting.community, meeting.decisions.all())
    return render(
        request,
        "branches/meeting_detail.html",
        {
            "meeting": meeting,
            "decisions": decisions,
            "area": meeting.community,
            "breadcrumbs": _crumbs(request, meeting.community),
        },
    )
