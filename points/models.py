"""Points (积分): schemes and their versioned rules, accounts, and an append-only ledger.

The ledger is the truth: an account's balance is the sum of its entries. ``Account.balance``
is a cache kept in the same transaction as each entry and proved against the sum by
``check_balances`` (nightly, and in the tests). Entries are never updated or deleted — the
database refuses it (migration 0002's triggers); a mistake is put right by a reversal entry
that points at the entry it reverses.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import PrivatePhoto
from grids.models import Area, Resident
from grids.policy import TerritoryCapability
from grids.roles import Level
from grids.scope import ScopedQuerySet


class Scheme(models.Model):
    """A points scheme: service points (积分奉献), civility points (文明积分) …"""

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Party members declare their services")
        RESIDENTS = "residents", _("Staff record residents' conduct")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    audience = models.CharField(
        _("who earns"), max_length=20, choices=Audience.choices, default=Audience.MEMBERS
    )
    # Points earned in one period lapse at its end by expiry entries (None: they never lapse).
    expiry_months = models.PositiveSmallIntegerField(
        _("points lapse after (months)"), null=True, blank=True
    )
    # 公示: approved points are shown on the community's page this long before they count
    # for rankings; an objection in that time reopens the item.
    publicity_days = models.PositiveSmallIntegerField(_("publicity (days)"), default=5)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("points scheme")
        verbose_name_plural = _("points schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    def history_related(self):
        """Its rules' versions belong on the scheme's page (core.history)."""
        return [self.rules.all()]

    def period_start(self, day: dt.date, later: int = 0) -> dt.date | None:
        """The first day of the expiry period ``day`` lies in (``later`` periods on): periods
        of ``expiry_months`` run from 1 January (12: calendar years, 6: half-years)."""
        if not self.expiry_months:
            return None
        months = ((day.year * 12 + day.month - 1) // self.expiry_months + later) * (
            self.expiry_months
        )
        return dt.date(months // 12, months % 12 + 1, 1)

    def lapse_date(self, earned: dt.date) -> dt.date | None:
        """The first day on which points earned on ``earned`` have lapsed."""
        return self.period_start(earned, later=1)


class Rule(models.Model):
    """One version of a rule: activity kind → points. A change is a new version; entries keep
    the version they were posted under, so a later change never alters them."""

    class Unit(models.TextChoices):
        FIXED = "fixed", _("per occurrence")
        HOUR = "hour", _("per hour")

    class Verifier(models.TextChoices):
        COMMUNITY = "community", _("the community")
        NONE = "none", _("nobody (posted at once)")

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="rules", verbose_name=_("scheme")
    )
    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.FIXED)
    cap_day = models.PositiveIntegerField(_("cap per day"), null=True, blank=True)
    cap_month = models.PositiveIntegerField(_("cap per month"), null=True, blank=True)
    cap_year = models.PositiveIntegerField(_("cap per year"), null=True, blank=True)
    evidence_required = models.BooleanField(_("photo required"), default=False)
    verifier = models.CharField(
        _("verified by"), max_length=20, choices=Verifier.choices, default=Verifier.COMMUNITY
    )
    # The version in force has no successor; older ones stay for the entries that cite them.
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Who made this version (None: before issue 20, or a migration/seed).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("made by"),
    )

    # What a revision may change: the rest names the rule (scheme, code) or is its history.
    REVISABLE = (
        "name_en",
        "name_zh",
        "points",
        "unit",
        "cap_day",
        "cap_month",
        "cap_year",
        "evidence_required",
        "verifier",
    )

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["scheme", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code", "version"], name="points_rule_version_once"
            ),
            models.UniqueConstraint(
                fields=["scheme", "code"],
                condition=Q(superseded_at__isnull=True),
                name="points_rule_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    def amount_for(self, hours=None) -> int:
        """Points for one occurrence, or for ``hours`` of a per-hour rule (rounded half up)."""
        if self.unit == self.Unit.HOUR:
            if not hours or hours <= 0:
                raise ValidationError({"hours": _("Give the hours the service took.")})
            # Half a point and more rounds up, in exact decimal arithmetic.
            exact = Decimal(self.points) * Decimal(str(hours))
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return self.points


class AccountQuerySet(ScopedQuerySet):
    area_path = "community__path"

    def visible_to(self, user):
        """The accounts of the user's communities, and their own."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return super().visible_to(user) | self.filter(Q(user=user) | Q(member__user=user))


class Account(models.Model):
    """One person's account in one scheme: a party member, a resident, or a user (a
    volunteer or a micro-grid liaison signs in)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("scheme")
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="point_accounts",
        verbose_name=_("community"),
        limit_choices_to={"level__in": [Level.COMMUNITY, Level.VILLAGE]},
    )
    member = models.ForeignKey(
        "branches.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("party member"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("resident"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("user"),
    )
    # A cache of the sum of the entries, written with each entry; check_balances proves it.
    balance = models.IntegerField(_("balance"), default=0, editable=False)
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, resident__isnull=True, user__isnull=True)
                | Q(member__isnull=True, resident__isnull=False, user__isnull=True)
                | Q(member__isnull=True, resident__isnull=True, user__isnull=False),
                name="points_account_one_holder",
            ),
            models.UniqueConstraint(fields=["scheme", "member"], name="points_account_member"),
            models.UniqueConstraint(fields=["scheme", "resident"], name="points_account_resident"),
            models.UniqueConstraint(fields=["scheme", "user"], name="points_account_user"),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="points_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} · {self.scheme}"

    @property
    def holder(self):
        return self.member or self.resident or self.user


# On PostgreSQL the ledger cannot be emptied with TRUNCATE either (migration 0006), unless
# the same transaction ran this first: a wipe has to be meant (README, "The ledger").
ALLOW_TRUNCATE = "SET LOCAL points.allow_truncate = on"


class Entry(models.Model):
    """One line of the ledger. Append-only: the database refuses UPDATE, DELETE and TRUNCATE."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        REVERSAL = "reversal", _("Reversal")
        EXPIRY = "expiry", _("Expired")
        ADJUSTMENT = "adjustment", _("Adjustment")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.IntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    rule = models.ForeignKey(
        Rule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("rule"),
    )
    rule_version = models.PositiveSmallIntegerField(_("rule version"), null=True, blank=True)
    # Where it came from: "declaration:12", "ticket:345", "redemption:6", "expiry:2026" …
    source = models.CharField(_("source"), max_length=60, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)
    # Rankings: earned points belong to the period of the day they were earned (the day of the
    # service) and count from the end of their publicity. Other kinds never count.
    earned_on = models.DateField(_("earned on"), null=True, blank=True)
    counts_from = models.DateTimeField(_("counts for rankings from"), null=True, blank=True)
    # The same event posted twice (a retried request, a replayed task) is one entry.
    idempotency_key = models.CharField(max_length=120, unique=True, editable=False)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-posted_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "posted_at"], name="points_entry_account"),
            models.Index(fields=["earned_on", "account"], name="points_entry_earned"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="points_reversal_points_at_its_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d} {self.kind}"


class RewardQuerySet(ScopedQuerySet):
    area_path = "community__path"


class Reward(models.Model):
    """An item of a community's rewards catalogue (积分兑奖励)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("scheme")
    )
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="rewards",
        verbose_name=_("community"),
        limit_choices_to={"level__in": [Level.COMMUNITY, Level.VILLAGE]},
    )
    name = models.CharField(_("name"), max_length=100)
    cost = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("in stock"), default=0)
    station = models.ForeignKey(
        "stations.Station",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rewards",
        verbose_name=_("collected at"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["community", "cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_stock_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cost})"

    def history_related(self):
        """Stock changes belong on the reward's page (core.history)."""
        return [self.stock_changes.all()]


class StockChange(models.Model):
    """Stock added to a reward or taken off it (counted, damaged…), with who and why.
    Handovers take stock off through ``Redemption`` and are not repeated here."""

    reward = models.ForeignKey(
        Reward, on_delete=models.CASCADE, related_name="stock_changes", verbose_name=_("reward")
    )
    change = models.IntegerField(_("change"))
    stock_after = models.PositiveIntegerField(_("in stock after"))
    note = models.CharField(_("note"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("stock change")
        verbose_name_plural = _("stock changes")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(change=0), name="points_stock_change_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.change:+d} · {self.note}"


class Redemption(models.Model):
    """A reward handed over at a station, paid for by one ledger entry."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("account")
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, related_name="redemption", verbose_name=_("entry")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reward} → {self.account}"


# --- Earning: 党员申报、召集人汇总、社区核实 ------------------------------------------------


class Batch(models.Model):
    """The convener's collection of a branch's declarations, submitted to the community."""

    class State(models.TextChoices):
        OPEN = "open", _("Being collected")
        SUBMITTED = "submitted", _("Submitted for verification")
        VERIFIED = "verified", _("Verified")

    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.PROTECT, related_name="point_batches"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    convener = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("convener"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("declaration batch")
        verbose_name_plural = _("declaration batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.branch} · {self.created_at:%Y-%m-%d}"


class DeclarationQuerySet(ScopedQuerySet):
    area_path = "account__community__path"

    def visible_to(self, user, capability: str = TerritoryCapability.VIEW_TERRITORY):
        """The items of the user's communities, their own, and their branch's (召集人)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return super().visible_to(user, capability) | self.filter(
            Q(created_by=user)
            | Q(account__member__user=user)
            | Q(account__user=user)
            | Q(account__member__branch__secretary__user=user)
        )


class Declaration(models.Model):
    """A member's declared service (申报), on its way to the ledger."""

    class State(models.TextChoices):
        DECLARED = "declared", _("Declared")
        COLLECTED = "collected", _("Collected by the convener")
        RETURNED = "returned", _("Returned to the member")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Origin(models.TextChoices):
        DECLARED = "declared", _("Declared by the member")
        TICKET = "ticket", _("Proposed for a closed request")
        RECORDED = "recorded", _("Recorded by staff")

    # Made by the phone when the form opens: a retried declaration is the same one.
    client_id = models.UUIDField(unique=True, editable=False)
    origin = models.CharField(
        _("origin"), max_length=20, choices=Origin.choices, default=Origin.DECLARED
    )
    # What it was proposed for ("ticket:12"): unique, so a request can never pay out twice.
    source_key = models.CharField(max_length=60, unique=True, null=True, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("account")
    )
    rule = models.ForeignKey(
        Rule, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("rule")
    )
    served_on = models.DateField(_("date of the service"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, null=True, blank=True)
    station = models.ForeignKey(
        "stations.Station",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    description = models.TextField(_("what was done"), max_length=1000)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DECLARED
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declarations",
        verbose_name=_("batch"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # 公示: shown on the community's page until then; it counts for rankings afterwards.
    public_until = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("declared"), default=timezone.now)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-served_on", "-pk"]
        indexes = [
            models.Index(fields=["state", "public_until"], name="points_decl_publicity"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.served_on}"

    @property
    def points(self) -> int | None:
        """What approval pays under its rule version (None when the hours are missing)."""
        try:
            return self.rule.amount_for(self.hours)
        except ValidationError:
            return None

    @property
    def state_label(self) -> str:
        """Proposals and staff records have no batch: "collected" means waiting for the
        community there."""
        if self.state == self.State.COLLECTED and not self.batch_id:
            return _("Waiting for the community's verification")
        return self.get_state_display()

    def in_publicity(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.state == self.State.APPROVED
            and self.public_until is not None
            and self.public_until > now
        )


class DeclarationPhoto(PrivatePhoto):
    photo_folder = "points"

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = _("declaration photo")
        verbose_name_plural = _("declaration photos")

    def __str__(self) -> str:
        return self.image.name


class DeclarationStep(models.Model):
    """Every step of a declaration, who took it and why: the record years later."""

    class Action(models.TextChoices):
        DECLARE = "declare", _("declared")
        REDECLARE = "redeclare", _("declared again")
        PROPOSE = "propose", _("proposed for a closed request")
        RECORD = "record", _("recorded by staff")
        COLLECT = "collect", _("collected by the convener")
        RETURN = "return", _("returned to the member")
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("rejected")
        OBJECT = "object", _("objected to under publicity")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("declaration step")
        verbose_name_plural = _("declaration steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.declaration_id} {self.action}"


class Objection(models.Model):
    """An objection to an item under publicity (公示异议): it reopens the item."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="objections"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("raised"), default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.reason[:40]}"


# --- Red and black lists (红黑榜) ----------------------------------------------------------------


class HonourListQuerySet(ScopedQuerySet):
    area_path = "area__path"


# Where a list is set up: a street (or town) for its units, or the district (``area`` None,
# as every list was before issue 20).
HONOUR_LIST_LEVELS = (Level.STREET, Level.TOWN)


class HonourList(models.Model):
    """A configured red/black list: the top and bottom ``size`` units by one measure, set up
    by a street for its own units, or district-wide (no area)."""

    class Unit(models.TextChoices):
        BRANCH = "branch", _("Party branches")
        COMMUNITY = "community", _("Communities")

    class Measure(models.TextChoices):
        POINTS_PER_MEMBER = "per_member", _("Service points per party member")
        TOTAL_POINTS = "total", _("Service points in total")
        MINIMUM_MET = "minimum", _("Share of in-service members with a verified service")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, verbose_name=_("scheme"))
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    unit = models.CharField(_("units"), max_length=20, choices=Unit.choices)
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    size = models.PositiveSmallIntegerField(
        _("units on each list"), default=3, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honour_lists",
        verbose_name=_("set up by"),
        help_text=_("A street's list ranks its own units; without one it is district-wide."),
        limit_choices_to={"level__in": HONOUR_LIST_LEVELS},
    )

    objects = HonourListQuerySet.as_manager()

    class Meta:
        verbose_name = _("red and black list")
        verbose_name_plural = _("red and black lists")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    def clean(self) -> None:
        if self.area_id and self.area.level not in HONOUR_LIST_LEVELS:
            raise ValidationError({"area": _("A list is set up by a street or the district.")})

    def applies_at(self, area: Area) -> bool:
        """Whether the list ranks units at ``area``: a street's list in the street and its
        communities, a district-wide one everywhere."""
        return self.area_id is None or area.path.startswith(self.area.path)


class HonourPeriodQuerySet(ScopedQuerySet):
    area_path = "area__path"


class HonourPeriod(models.Model):
    """A list as published for one period and one area: frozen, it never changes after."""

    honour_list = models.ForeignKey(HonourList, on_delete=models.PROTECT, related_name="published")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    objects = HonourPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("published red and black list")
        verbose_name_plural = _("published red and black lists")
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["honour_list", "area", "period"], name="points_honour_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.honour_list} · {self.area} · {self.period}"


class HonourRow(models.Model):
    class Board(models.TextChoices):
        RED = "red", _("Red list")
        BLACK = "black", _("Black list")

    published = models.ForeignKey(HonourPeriod, on_delete=models.CASCADE, related_name="rows")
    board = models.CharField(max_length=10, choices=Board.choices)
    rank = models.PositiveSmallIntegerField()
    # A copy of the unit's name as it was: the list must read the same years later.
    unit_name = models.CharField(max_length=100)
    unit_key = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["board", "rank"]

    def __str__(self) -> str:
        return f"{self.board} {self.rank}. {self.unit_name}"
