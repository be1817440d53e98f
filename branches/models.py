"""Party branches (党支部) and their members: "一网格一支部".

A branch covers one grid (单独组建) or several neighbouring grids of one community
(联合组建); a grid belongs to at most one branch. In-service members (在职党员)
register at the community where they live ("双报到") and claim service posts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import DigestField, EncryptedCharField, EncryptedModel, EncryptedQuerySet
from core.personal import (
    mask_mobile,
    normalize_mobile,
    normalize_phone,
    validate_mobile,
    validate_phone,
)
from grids.models import Area, Household, code_validator
from grids.policy import TerritoryCapability
from grids.roles import COMMUNITY_LEVELS, LEVEL_DEPTH, Level
from grids.scope import scope_paths

COMMUNITY_PATH_LENGTH = LEVEL_DEPTH[Level.COMMUNITY] * Area.steplen


def community_q(paths: list[str] | None, community: str, grids_of_branch: str | None = None) -> Q:
    """Rows of a community under ``paths``; for a path below a community (a grid worker's),
    rows of the branch that covers a grid under it, reached through ``grids_of_branch``."""
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        if len(path) <= COMMUNITY_PATH_LENGTH:
            condition |= Q(**{f"{community}__path__startswith": path})
        elif grids_of_branch is not None:
            condition |= Q(
                Exists(
                    BranchGrid.objects.filter(
                        branch=OuterRef(grids_of_branch), grid__path__startswith=path
                    )
                )
            )
    return condition or Q(pk__in=[])


def _validate_community(area: Area | None, field: str) -> None:
    if area is not None and area.level not in COMMUNITY_LEVELS:
        raise ValidationError({field: _("Choose a community or village.")})


# --- Branches -------------------------------------------------------------------------------


class BranchQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(community_q(scope_paths(user, capability), "community", "pk"))


class Branch(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="branches",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    secretary = models.ForeignKey(
        "PartyMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="secretary_of",
        verbose_name=_("secretary"),
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")
        ordering = ["community__path", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.community_id:
            _validate_community(self.community, "community")
        if (
            self.secretary_id
            and self.community_id
            and (
                self.secretary.community_id != self.community_id
                or (self.pk and self.secretary.branch_id not in (None, self.pk))
            )
        ):
            raise ValidationError(
                {"secretary": _("The secretary must be a party member of this branch's community.")}
            )


class BranchGrid(models.Model):
    """A grid a branch covers. One branch per grid: the primary key is the grid."""

    grid = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="branch_link",
        verbose_name=_("grid"),
        limit_choices_to={"level": Level.GRID},
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="coverage", verbose_name=_("branch")
    )

    class Meta:
        verbose_name = _("grid of a branch")
        verbose_name_plural = _("grids of branches")

    def __str__(self) -> str:
        return f"{self.branch} · {self.grid}"


# --- Members --------------------------------------------------------------------------------


class MemberKind(models.TextChoices):
    RESIDENT = "resident", _("Resident party member")
    IN_SERVICE = "in_service", _("In-service party member")
    RETIRED = "retired", _("Retired party member")
    MOBILE = "mobile", _("Mobile party member")


class PartyMemberQuerySet(EncryptedQuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(community_q(scope_paths(user, capability), "community", "branch"))


class PartyMember(EncryptedModel):
    """A party member organised in (or, for in-service members, registered at) a community."""

    # Masked again when the audit trail is shown on a page (core.history).
    history_masked = ("phone",)

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # Encrypted at rest; ``filter(phone=…)`` is answered by ``phone_hash`` (core.fields).
    phone = EncryptedCharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    phone_hash = DigestField(source="phone", purpose="mobile", db_index=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=MemberKind.choices, default=MemberKind.RESIDENT
    )
    work_unit = models.CharField(
        _("work unit"),
        max_length=100,
        blank=True,
        help_text=_("For in-service members: the body or enterprise where they work."),
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="party_members",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("branch"),
    )
    party_group = models.ForeignKey(
        "PartyGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("party group"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_members",
        verbose_name=_("home household"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
        verbose_name=_("user account"),
    )
    is_central_household = models.BooleanField(
        _("member central household"),
        default=False,
        help_text=_("党员中心户: links 10–30 households instead of 5–10."),
    )
    active = models.BooleanField(pgettext_lazy("party member", "active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)

    @property
    def link_limits(self) -> tuple[int, int]:
        """党员联户: 5–10 households; a member central household 10–30."""
        return (10, 30) if self.is_central_household else (5, 10)

    def clean_fields(self, exclude=None) -> None:
        self.phone = normalize_mobile(self.phone)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.community_id:
            try:
                _validate_community(self.community, "community")
            except ValidationError as error:
                errors.update(error.message_dict)
        if self.kind == MemberKind.IN_SERVICE and not self.work_unit:
            errors["work_unit"] = _("Give the work unit of an in-service member.")
        if self.branch_id and self.branch.community_id != self.community_id:
            errors["branch"] = _("The branch must belong to the member's community.")
        if self.party_group_id and self.party_group.branch_id != self.branch_id:
            errors["party_group"] = _("The party group must belong to the member's branch.")
        if (
            self.household_id
            and self.community_id
            and not self.household.grid.path.startswith(self.community.path)
        ):
            errors["household"] = _("The home household must lie in the member's community.")
        if errors:
            raise ValidationError(errors)


class PartyGroup(models.Model):
    """A party group (党小组) of a branch, tied to micro-grids."""

    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="groups", verbose_name=_("branch")
    )
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        PartyMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("group leader"),
    )
    micro_grids = models.ManyToManyField(
        Area,
        blank=True,
        related_name="party_groups",
        verbose_name=_("micro-grids"),
        limit_choices_to={"level": Level.MICRO_GRID},
    )

    class Meta:
        verbose_name = _("party group")
        verbose_name_plural = _("party groups")
        ordering = ["branch", "name"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="party_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.leader_id and self.leader.branch_id != self.branch_id:
            raise ValidationError({"leader": _("The leader must be a member of this branch.")})


# --- 双报到: in-service members register where they live --------------------------------------


class ServicePost(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment and sanitation")
    MEDIATION = "mediation", _("Dispute mediation")
    LEGAL_AID = "legal_aid", _("Legal aid")
    HEALTH = "health", _("Health services")
    CIVILITY = "civility", _("Civility promotion")
    ELDERLY = "elderly", _("Helping the elderly")
    EDUCATION = "education", _("Tutoring and education")
    SAFETY = "safety", _("Safety patrols")


class RegistrationQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(
            community_q(scope_paths(user, capability), "community", "member__branch")
        )


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online (link or QR code)")
        STAFF = "staff", _("Entered by staff")

    member = models.ForeignKey(
        PartyMember,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("party member"),
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(_("reason for rejection"), blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("in-service member registration")
        verbose_name_plural = _("in-service member registrations")
        ordering = ["-submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=~Q(status="rejected"),
                name="registration_one_open_per_member_and_community",
                violation_error_message=_("This member is already registered here."),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="registration_rejection_has_reason",
                violation_error_message=_("Give the member a reason for the rejection."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.community}"


class ServiceClaim(models.Model):
    """A service post (认领岗位) an in-service member claims at the community."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("registration"),
    )
    post = models.CharField(_("service post"), max_length=20, choices=ServicePost.choices)

    class Meta:
        verbose_name = _("claimed service post")
        verbose_name_plural = _("claimed service posts")
        constraints = [
            models.UniqueConstraint(fields=["registration", "post"], name="service_claim_once"),
        ]

    def __str__(self) -> str:
        return self.get_post_display()


class ServiceRecordQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(
            community_q(scope_paths(user, capability), "community", "member__branch")
        )


class ServiceRecord(models.Model):
    """One time a member served the community (the annual minimum is one)."""

    member = models.ForeignKey(
        PartyMember,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("party member"),
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="member_services",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    served_on = models.DateField(_("served on"))
    post = models.CharField(_("service post"), max_length=20, choices=ServicePost.choices)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=1)
    description = models.CharField(_("what was done"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-served_on", "pk"]
        indexes = [models.Index(fields=["community", "served_on"], name="service_community_day")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="service_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.served_on}"

    def clean(self) -> None:
        super().clean()
        if self.served_on and self.served_on > timezone.localdate():
            raise ValidationError({"served_on": _("A service cannot be recorded in the future.")})


# --- 党员联户: members linked to households -----------------------------------------------------


class HouseholdLinkQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        from grids.models import household_q

        return self.filter(household_q(scope_paths(user, capability), "household__"))


class HouseholdLink(models.Model):
    member = models.ForeignKey(
        PartyMember, on_delete=models.CASCADE, related_name="links", verbose_name=_("party member")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="member_links",
        verbose_name=_("household"),
    )
    since = models.DateField(_("since"), default=timezone.localdate)

    objects = HouseholdLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("linked household")
        verbose_name_plural = _("linked households")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household"],
                name="household_link_once",
                violation_error_message=_("This household is already linked to this member."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.household}"


# --- 共建单位 and 联席会议 ----------------------------------------------------------------------


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("Government body")
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Public institution")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    SOCIAL = "social", _("Social organisation")
    OTHER = "other", _("Other")


class CoBuildingQuerySet(models.QuerySet):
    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        return self.filter(community_q(scope_paths(user, capability), "community"))


class CoBuildingUnit(models.Model):
    """An organisation that signs a co-building agreement (共建协议) with a community."""

    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="cobuilding_units",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=13, blank=True, validators=[validate_phone]
    )
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    commitments = models.TextField(
        _("commitments"), blank=True, help_text=_("What the unit undertakes: resources, services.")
    )

    objects = CoBuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")
        ordering = ["community__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="cobuilding_unique_name"),
            models.CheckConstraint(
                condition=Q(agreement_ends_on__isnull=True)
                | Q(agreement_signed_on__isnull=True)
                | Q(agreement_ends_on__gte=models.F("agreement_signed_on")),
                name="cobuilding_agreement_dates",
                violation_error_message=_("The agreement cannot end before it is signed."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.contact_phone = normalize_phone(self.contact_phone)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if self.community_id:
            _validate_community(self.community, "community")


class JointMeeting(models.Model):
    """A joint meeting (联席会议) of a community and its co-building units."""

    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="joint_meetings",
        verbose_name=_("community"),
        limit_choices_to={"level__in": COMMUNITY_LEVELS},
    )
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=150)
    units = models.ManyToManyField(
        CoBuildingUnit, blank=True, related_name="meetings", verbose_name=_("units attending")
    )
    attendees = models.TextField(_("other attendees"), blank=True)
    topics = models.TextField(_("topics"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = CoBuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(
        JointMeeting,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("meeting"),
    )
    text = models.CharField(_("decision"), max_length=300)
    owner = models.CharField(_("who carries it out"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.text
