"""Every write for branches, members, 双报到, 联户 and co-building."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.ops import unary_union

from accounts.services import Provided, provide_account
from branches.models import (
    Branch,
    BranchGrid,
    CoBuildingUnit,
    HouseholdLink,
    JointMeeting,
    MeetingDecision,
    MemberKind,
    PartyGroup,
    PartyMember,
    Registration,
    ServiceClaim,
    ServicePost,
    ServiceRecord,
)
from branches.policy import BranchCapability
from grids.models import Area, Household
from grids.roles import Level
from grids.services import log_personal_access, require

# --- Branches -------------------------------------------------------------------------------


def _check_grids(community: Area, grids: list[Area], branch: Branch | None) -> None:
    """One community's grids, each in no other branch, and neighbours when joint."""
    if not grids:
        raise ValidationError({"grids": _("A branch covers at least one grid.")})
    outside = [
        g.name for g in grids if g.level != Level.GRID or not g.path.startswith(community.path)
    ]
    if outside:
        raise ValidationError(
            {
                "grids": _("These grids are not in %(community)s: %(grids)s.")
                % {"community": community.name, "grids": "、".join(outside)}
            }
        )
    taken = BranchGrid.objects.filter(grid__in=grids).select_related("grid", "branch")
    if branch is not None:
        taken = taken.exclude(branch=branch)
    clashes = [f"{link.grid.name} ({link.branch.name})" for link in taken]
    if clashes:
        raise ValidationError(
            {
                "grids": _("Each grid has one branch only; already covered: %(grids)s.")
                % {"grids": "、".join(clashes)}
            }
        )
    geometries = [g.geometry for g in grids]
    if len(grids) > 1 and all(geometries):
        # Touching boundaries merge into one shape; a gap leaves several.
        merged = unary_union([g.buffer(1e-6) for g in geometries])
        if merged.geom_type != "Polygon":
            raise ValidationError(
                {"grids": _("A joint branch covers neighbouring grids; these do not adjoin.")}
            )


@transaction.atomic
def save_branch(
    *,
    by,
    community: Area,
    code: str,
    name: str,
    grids: Iterable[Area],
    secretary: PartyMember | None = None,
    founded_on: dt.date | None = None,
    branch: Branch | None = None,
) -> Branch:
    """Create a branch, or change one: its grids are replaced by ``grids``."""
    require(by, BranchCapability.MANAGE_BRANCHES, community)
    grids = list(grids)
    if branch is None:
        branch = Branch(community=community)
    else:
        branch = Branch.objects.select_for_update().get(pk=branch.pk)
        if branch.community_id != community.pk:
            raise ValidationError({"community": _("A branch stays in its community.")})
    # Lock (and re-read) the grids so two officers cannot give one grid to two branches.
    grids = list(Area.objects.select_for_update().filter(pk__in=[g.pk for g in grids]))
    branch.code, branch.name = code, name
    branch.secretary, branch.founded_on = secretary, founded_on
    branch.full_clean()
    _check_grids(community, grids, branch if branch.pk else None)
    branch.save()
    BranchGrid.objects.filter(branch=branch).exclude(grid__in=grids).delete()
    existing = set(BranchGrid.objects.filter(branch=branch).values_list("grid_id", flat=True))
    try:
        with transaction.atomic():
            BranchGrid.objects.bulk_create(
                BranchGrid(branch=branch, grid=g) for g in grids if g.pk not in existing
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"grids": _("Another officer has just given one of these grids to a branch.")}
        ) from exc
    return branch


# --- Members --------------------------------------------------------------------------------

MEMBER_FIELDS = [
    "name",
    "phone",
    "kind",
    "work_unit",
    "branch",
    "party_group",
    "household",
    "user",
    "is_central_household",
    "active",
]


@transaction.atomic
def save_member(
    *,
    by,
    community: Area,
    member: PartyMember | None = None,
    create_account: bool = False,
    **fields: Any,
) -> PartyMember:
    """Add or edit a member; ``create_account``: make (or link) their sign-in account and
    send the activation code (``member_account``, reported as ``member.account``)."""
    require(by, BranchCapability.MANAGE_BRANCHES, community)
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    member = member or PartyMember(community=community)
    if member.community_id != community.pk:
        raise ValidationError({"community": _("Move a member by registering them elsewhere.")})
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean()
    if member.pk and member.links.count() > member.link_limits[1]:
        raise ValidationError(
            {
                "is_central_household": _(
                    "This member links more households than allowed for "
                    "an ordinary member; remove links first."
                )
            }
        )
    member.save()
    if create_account and member.user_id is None and member.phone:
        member.account = member_account(by=by, member=member)
        member.refresh_from_db(fields=["user", "updated_at"])
    return member


# --- 双报到 ---------------------------------------------------------------------------------


@transaction.atomic
def register_in_service_member(
    *,
    by,
    community: Area,
    name: str,
    phone: str,
    work_unit: str,
    posts: Iterable[str],
    household: Household | None = None,
    channel: str = Registration.Channel.ONLINE,
) -> Registration:
    """An in-service member reports to the community where they live (online or by staff).

    ``by`` is None for the public online form. A member already known by mobile number in
    this community is reused, so registering twice does not duplicate them.
    """
    if by is not None:
        require(by, BranchCapability.MANAGE_BRANCHES, community)
        channel = Registration.Channel.STAFF
    posts = sorted(set(posts))
    if not posts:
        raise ValidationError({"posts": _("Choose at least one service post.")})
    if set(posts) - set(ServicePost.values):
        raise ValidationError({"posts": _("Unknown service post.")})
    probe = PartyMember(
        community=community,
        name=name,
        phone=phone,
        work_unit=work_unit,
        kind=MemberKind.IN_SERVICE,
        household=household,
    )
    probe.full_clean()
    member = PartyMember.objects.filter(community=community, phone=probe.phone).first()
    if member is None:
        member = probe
        member.save()
    registration = Registration(member=member, community=community, channel=channel)
    try:
        registration.full_clean()
    except ValidationError as error:
        raise ValidationError(_("This member is already registered here.")) from error
    registration.save()
    ServiceClaim.objects.bulk_create(ServiceClaim(registration=registration, post=p) for p in posts)
    return registration


@transaction.atomic
def decide_registration(
    *, by, registration: Registration, confirm: bool, reason: str = ""
) -> Registration:
    require(by, BranchCapability.VERIFY_REGISTRATIONS, registration.community)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.PENDING:
        raise ValidationError(_("This registration has already been decided."))
    if not confirm and not reason.strip():
        raise ValidationError({"reason": _("Give the member a reason for the rejection.")})
    registration.status = Registration.Status.CONFIRMED if confirm else Registration.Status.REJECTED
    registration.reason = "" if confirm else reason.strip()
    registration.decided_at = timezone.now()
    registration.decided_by = by
    registration.full_clean()
    registration.save()
    if confirm:
        registration.account = member_account(by=by, member=registration.member)
    return registration


def member_account(*, by, member: PartyMember, send_sms: bool = True) -> Provided:
    """The member's sign-in account, made or found (accounts.services.provide_account) and
    linked to them, and an activation code sent when it has no password yet. The caller has
    checked the right to confirm or manage members in the member's community."""
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    provided = provide_account(
        by=by, display_name=member.name, phone=member.phone, user=member.user, send_sms=send_sms
    )
    if member.user_id is None:
        if PartyMember.objects.filter(user=provided.user).exists():
            # The number's account is another member's (the same person registered in two
            # communities): one account, linked where it was first.
            return provided
        member.user = provided.user
        member.save(update_fields=["user", "updated_at"])
    return provided


@transaction.atomic
def invite_member(*, by, member: PartyMember) -> Provided:
    """Send the member's activation code again (rate-limited in accounts)."""
    require(by, BranchCapability.MANAGE_BRANCHES, member.community)
    return member_account(by=by, member=member)


@transaction.atomic
def record_service(
    *,
    by,
    member: PartyMember,
    served_on: dt.date,
    post: str,
    description: str,
    hours: Decimal = Decimal("1"),
) -> ServiceRecord:
    require(by, BranchCapability.VERIFY_REGISTRATIONS, member.community)
    record = ServiceRecord(
        member=member,
        community=member.community,
        served_on=served_on,
        post=post,
        description=description,
        hours=hours,
        recorded_by=by,
    )
    record.full_clean()
    record.save()
    return record


# --- 党员联户 -------------------------------------------------------------------------------


@transaction.atomic
def link_household(*, by, member: PartyMember, household: Household) -> HouseholdLink:
    require(by, BranchCapability.LINK_HOUSEHOLDS, household.area)
    # The member row is the lock: two links added at once cannot both pass the limit.
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    if not household.grid.path.startswith(member.community.path):
        raise ValidationError({"household": _("Link households in the member's own community.")})
    if HouseholdLink.objects.filter(member=member, household=household).exists():
        raise ValidationError({"household": _("This household is already linked to this member.")})
    _low, high = member.link_limits
    if member.links.count() >= high:
        raise ValidationError(
            {
                "household": _("%(member)s already links %(n)s households, the most allowed.")
                % {"member": member.name, "n": high}
            }
        )
    link = HouseholdLink(member=member, household=household)
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def unlink_household(*, by, link: HouseholdLink) -> None:
    require(by, BranchCapability.LINK_HOUSEHOLDS, link.household.area)
    link.delete()


# --- Co-building ----------------------------------------------------------------------------

UNIT_FIELDS = [
    "name",
    "kind",
    "contact_name",
    "contact_phone",
    "agreement_signed_on",
    "agreement_ends_on",
    "commitments",
]


@transaction.atomic
def save_unit(
    *, by, community: Area, unit: CoBuildingUnit | None = None, **fields: Any
) -> CoBuildingUnit:
    require(by, BranchCapability.MANAGE_BRANCHES, community)
    unit = unit or CoBuildingUnit(community=community)
    for name, value in fields.items():
        if name not in UNIT_FIELDS:
            raise TypeError(f"not editable: {name}")
        setattr(unit, name, value)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def record_meeting(
    *,
    by,
    community: Area,
    held_on: dt.date,
    title: str,
    topics: str,
    units: Iterable[CoBuildingUnit] = (),
    attendees: str = "",
    decisions: Iterable[str] = (),
) -> JointMeeting:
    require(by, BranchCapability.MANAGE_BRANCHES, community)
    units = list(units)
    strangers = [u.name for u in units if u.community_id != community.pk]
    if strangers:
        raise ValidationError({"units": _("Only this community's co-building units can attend.")})
    meeting = JointMeeting(
        community=community,
        held_on=held_on,
        title=title,
        topics=topics,
        attendees=attendees,
        created_by=by,
    )
    meeting.full_clean()
    meeting.save()
    meeting.units.set(units)
    for text in decisions:
        if text.strip():
            decision = MeetingDecision(meeting=meeting, text=text.strip())
            decision.full_clean()
            decision.save()
    return meeting


@transaction.atomic
def save_group(
    *,
    by,
    branch: Branch,
    name: str,
    leader: PartyMember | None,
    micro_grids: Iterable[Area],
    group: PartyGroup | None = None,
) -> PartyGroup:
    require(by, BranchCapability.MANAGE_BRANCHES, branch.community)
    micro_grids = list(micro_grids)
    covered = set(branch.coverage.values_list("grid__path", flat=True))
    if any(
        m.level != Level.MICRO_GRID or m.path[: -Area.steplen] not in covered for m in micro_grids
    ):
        raise ValidationError({"micro_grids": _("Choose micro-grids of the branch's grids.")})
    group = group or PartyGroup(branch=branch)
    group.name, group.leader = name, leader
    group.full_clean()
    group.save()
    group.micro_grids.set(micro_grids)
    return group


@transaction.atomic
def open_member_for_editing(*, by, member: PartyMember, remote_addr: str | None = None) -> None:
    """The edit form shows the full mobile number: audited as a resident's edit form is."""
    if member.phone:
        log_personal_access(by, member, ["phone"], remote_addr)
