"""The one way points move: every write is an entry in the ledger, with the account's cached
balance updated in the same transaction under a row lock, and an idempotency key that makes a
retry post nothing new."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.policy import BranchCapability
from core.images import clean_photos
from grids.models import Area
from grids.scope import can, scope_paths
from points.models import (
    Account,
    Batch,
    Declaration,
    DeclarationPhoto,
    DeclarationStep,
    Entry,
    HonourList,
    HonourPeriod,
    HonourRow,
    Objection,
    Redemption,
    Reward,
    Rule,
    Scheme,
    StockChange,
)
from points.periods import Period, containing
from points.policy import PointsCapability, is_convener, may_object
from stations.policy import StationCapability


def _locked(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def post(
    *,
    account: Account,
    amount: int,
    kind: str,
    idempotency_key: str,
    by=None,
    rule: Rule | None = None,
    source: str = "",
    note: str = "",
    reverses: Entry | None = None,
    earned_on: dt.date | None = None,
    counts_from: dt.datetime | None = None,
) -> Entry:
    """Append one entry and move the cached balance; the same key twice returns the first."""
    existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if amount == 0:
        raise ValidationError(_("An entry moves at least one point."))
    if (kind == Entry.Kind.REVERSAL) != (reverses is not None):
        raise ValidationError(_("A reversal, and only a reversal, points at the entry it undoes."))
    account = _locked(account)
    if account.balance + amount < 0:
        raise ValidationError(
            _("Not enough points: the balance is %(balance)s.") % {"balance": account.balance}
        )
    entry = Entry(
        account=account,
        amount=amount,
        kind=kind,
        rule=rule,
        rule_version=rule.version if rule else None,
        source=source,
        note=note,
        reverses=reverses,
        posted_by=by,
        idempotency_key=idempotency_key,
        earned_on=earned_on,
        counts_from=counts_from,
    )
    # The related rows come from the caller and the database enforces the constraints: only
    # the fields' own rules are checked here (a query per check would slow every posting).
    entry.full_clean(
        exclude=["idempotency_key", "account", "rule", "reverses", "posted_by"],
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # The same key posted by another request at the same moment: it won.
        return Entry.objects.get(idempotency_key=idempotency_key)
    Account.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    return entry


@transaction.atomic
def reverse(*, entry: Entry, by, reason: str) -> Entry:
    """Put a posted entry right with its opposite; an entry is reversed at most once."""
    if not reason.strip():
        raise ValidationError({"note": _("Say why the entry is reversed.")})
    if entry.kind == Entry.Kind.REVERSAL:
        raise ValidationError(_("A reversal is not reversed; post an adjustment instead."))
    if Entry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry has already been reversed."))
    return post(
        account=entry.account,
        amount=-entry.amount,
        kind=Entry.Kind.REVERSAL,
        idempotency_key=f"reversal:{entry.pk}",
        by=by,
        rule=entry.rule,
        source=entry.source,
        note=reason.strip(),
        reverses=entry,
        # A reversal falls in the same period and counts from the same moment as its entry,
        # so a ranking never sees one without the other.
        earned_on=entry.earned_on,
        counts_from=entry.counts_from,
    )


@transaction.atomic
def redeem(*, account: Account, reward: Reward, by, idempotency_key: str) -> Redemption:
    """积分兑奖励 at a station: stock and balance are checked under row locks (reward first,
    then account, always in that order), so concurrent redemptions never overdraw either."""
    if not can(by, StationCapability.MANAGE_STATIONS, reward.community):
        raise PermissionDenied
    done = Entry.objects.filter(idempotency_key=idempotency_key).first()
    if done is not None:
        return done.redemption
    reward = Reward.objects.select_for_update().get(pk=reward.pk)
    if not reward.active or reward.stock < 1:
        raise ValidationError(_("%(reward)s is out of stock.") % {"reward": reward.name})
    if account.scheme_id != reward.scheme_id or account.community_id != reward.community_id:
        raise ValidationError(_("This reward is not offered to this account."))
    entry = post(
        account=account,
        amount=-reward.cost,
        kind=Entry.Kind.REDEEM,
        idempotency_key=idempotency_key,
        by=by,
        source=f"reward:{reward.pk}",
        note=reward.name,
    )
    Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
    return Redemption.objects.create(account=account, reward=reward, entry=entry, confirmed_by=by)


def check_balances() -> list[tuple[int, int, int]]:
    """Every account whose cached balance is not the sum of its entries: (id, cached, sum)."""
    sums = dict(
        Entry.objects.values("account").annotate(s=Sum("amount")).values_list("account", "s")
    )
    wrong = []
    for pk, cached in Account.objects.values_list("pk", "balance").iterator(chunk_size=5000):
        actual = sums.get(pk, 0) or 0
        if cached != actual:
            wrong.append((pk, cached, actual))
    return wrong


def at_district(by, capability: str) -> bool:
    """Whether ``by`` holds ``capability`` at a district (schemes and district-wide lists
    belong to no smaller area)."""
    paths = scope_paths(by, capability)
    return paths is None or any(len(path) <= Area.steplen for path in paths)


def _may_manage_schemes(by) -> None:
    if by is not None and not at_district(by, PointsCapability.MANAGE_SCHEMES):
        raise PermissionDenied


@transaction.atomic
def revise_rule(*, rule: Rule, by=None, **changes) -> Rule:
    """A rule changes by a new version; the old one stays for the entries that cite it.
    ``by`` (district staff) is recorded on the version; None only for seeds and migrations."""
    _may_manage_schemes(by)
    unknown = set(changes) - set(Rule.REVISABLE)
    if unknown:
        raise ValidationError(_("These cannot be revised: %(f)s.") % {"f": ", ".join(unknown)})
    current = Rule.objects.select_for_update().get(pk=rule.pk)
    if current.superseded_at is not None:
        raise ValidationError(_("Only the version in force can be revised."))
    if all(getattr(current, name) == value for name, value in changes.items()):
        raise ValidationError(_("Nothing changed: the version in force stays."))
    current.superseded_at = timezone.now()
    current.save(update_fields=["superseded_at"])
    fields = {
        f.name: getattr(current, f.name)
        for f in Rule._meta.concrete_fields
        if f.name not in ("id", "version", "superseded_at", "created_at", "created_by")
    }
    newer = Rule(**{**fields, **changes}, version=current.version + 1, created_by=by)
    newer.full_clean()
    newer.save()
    return newer


@transaction.atomic
def add_rule(*, by, scheme: Scheme, **fields) -> Rule:
    """A new rule (version 1) of ``scheme``; its code is unique in the scheme."""
    _may_manage_schemes(by)
    if Rule.objects.filter(scheme=scheme, code=fields.get("code")).exists():
        raise ValidationError({"code": _("This scheme already has a rule with this code.")})
    rule = Rule(scheme=scheme, created_by=by, **fields)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def add_scheme(*, by, **fields) -> Scheme:
    """A new scheme; its rules are added on its page."""
    _may_manage_schemes(by)
    return save_scheme(by=by, scheme=Scheme(**fields))


@transaction.atomic
def save_scheme(*, by, scheme: Scheme) -> Scheme:
    """A scheme's settings (names, publicity, expiry, active); rules change by version."""
    _may_manage_schemes(by)
    scheme.full_clean()
    scheme.save()
    return scheme


# --- Rewards and their stock (the community) ------------------------------------------------------


@transaction.atomic
def save_reward(*, by, reward: Reward) -> Reward:
    """Add a reward to a community's catalogue or change one (retire: ``active`` off). Stock
    moves through ``adjust_stock`` and handovers, never here."""
    if not can(by, PointsCapability.MANAGE_REWARDS, reward.community):
        raise PermissionDenied
    if reward.station_id and not reward.station.area.path.startswith(reward.community.path):
        raise ValidationError({"station": _("Choose a station of this community.")})
    if reward.pk is not None:
        # The stock may have moved since the form was read: keep the row's.
        reward.stock = Reward.objects.select_for_update().get(pk=reward.pk).stock
    reward.full_clean()
    reward.save()
    return reward


@transaction.atomic
def add_reward(
    *, by, community: Area, scheme: Scheme, name: str, cost: int, station=None, stock: int = 0
) -> Reward:
    """A new reward of ``community``'s catalogue, with the stock it begins with (recorded as
    its first stock change)."""
    reward = save_reward(
        by=by,
        reward=Reward(
            community=community, scheme=scheme, name=name.strip(), cost=cost, station=station
        ),
    )
    if stock:
        adjust_stock(by=by, reward=reward, change=stock, note=_("Stock to begin with"))
    return reward


@transaction.atomic
def adjust_stock(*, by, reward: Reward, change: int, note: str) -> StockChange:
    """Stock added (or taken off, with the reason) under the reward's row lock, the same lock
    a handover takes: the stock never goes below what is left to hand over."""
    if not can(by, PointsCapability.MANAGE_REWARDS, reward.community):
        raise PermissionDenied
    note = note.strip()
    if not change:
        raise ValidationError({"change": _("Give the number of items added or taken off.")})
    if not note:
        raise ValidationError({"note": _("Say where the items came from or why they went.")})
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    if locked.stock + change < 0:
        raise ValidationError(
            {"change": _("Only %(n)s left: no more can be taken off.") % {"n": locked.stock}}
        )
    locked.stock += change
    locked.save(update_fields=["stock"])
    reward.stock = locked.stock
    record = StockChange(reward=locked, change=change, stock_after=locked.stock, note=note, by=by)
    record.full_clean()
    record.save()
    return record


# --- Red and black lists set up (the street; the district for district-wide ones) ----------------


@transaction.atomic
def save_honour_list(*, by, honour_list: HonourList) -> HonourList:
    """Set up or change a red/black list (deactivate: ``active`` off). A street's list at the
    street; a district-wide one (no area) by who holds the capability at the district."""

    def may_set_up(where) -> bool:
        if where is None:
            return at_district(by, PointsCapability.SET_UP_HONOUR_LISTS)
        return can(by, PointsCapability.SET_UP_HONOUR_LISTS, where)

    if not may_set_up(honour_list.area):
        raise PermissionDenied
    if honour_list.pk is not None:
        # As stored, not as the caller's copy says: a list is changed by who set it up.
        before = (
            HonourList.objects.select_for_update(of=("self",))
            .select_related("area")
            .get(pk=honour_list.pk)
        )
        if not may_set_up(before.area):
            raise PermissionDenied
        if before.area_id != honour_list.area_id:
            raise ValidationError({"area": _("A list stays with who set it up.")})
    honour_list.full_clean()
    honour_list.save()
    return honour_list


# --- Earning: the member declares, the convener collects, the community verifies ---------------


def _step(declaration: Declaration, action: str, by, note: str = "") -> None:
    DeclarationStep.objects.create(declaration=declaration, action=action, actor=by, note=note)


def _save_photos(declaration: Declaration, cleaned) -> None:
    for content in cleaned:
        photo = DeclarationPhoto(declaration=declaration)
        photo.image.save(content.name, content, save=False)
        photo.save()


@transaction.atomic
def declare(
    *,
    by,
    client_id,
    account: Account,
    rule: Rule,
    served_on: dt.date,
    description: str,
    hours: Decimal | None = None,
    station=None,
    place: str = "",
    photos: Iterable = (),
) -> Declaration:
    """A member's own declaration of a service (党员申报); the same form sent twice is one."""
    existing = Declaration.objects.filter(client_id=client_id).first()
    if existing is not None:
        return existing
    if account.member is None or account.member.user_id != by.pk:
        raise PermissionDenied
    rule = _current_rule(rule, account)
    ticket = ticket_rule()
    if ticket is not None and ticket.pk == rule.pk:
        raise ValidationError({"rule": _("Points for requests are proposed when they close.")})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("A service is declared after it took place.")})
    rule.amount_for(hours)  # per-hour rules need the hours
    cleaned = clean_photos(photos, max_count=3)
    if rule.evidence_required and not cleaned:
        raise ValidationError({"photos": _("This kind of service needs a photo.")})
    declaration = Declaration(
        client_id=client_id,
        account=account,
        rule=rule,
        served_on=served_on,
        hours=hours,
        station=station,
        place=place.strip(),
        description=description.strip(),
        created_by=by,
    )
    declaration.full_clean(exclude=["client_id"])
    declaration.save()
    _save_photos(declaration, cleaned)
    _step(declaration, DeclarationStep.Action.DECLARE, by)
    return declaration


@transaction.atomic
def collect(*, by, branch, declarations: Iterable[Declaration]) -> Batch:
    """召集人汇总: gather the branch's declared items into one batch."""
    if not is_convener(by, branch):
        raise PermissionDenied
    batch = Batch.objects.create(branch=branch, convener=by)
    ids = [d.pk for d in declarations]
    items = list(
        Declaration.objects.select_for_update().filter(
            pk__in=ids, state=Declaration.State.DECLARED, account__member__branch=branch
        )
    )
    if len(items) != len(set(ids)):
        raise ValidationError(_("Only this branch's new declarations can be collected."))
    for item in items:
        item.state, item.batch = Declaration.State.COLLECTED, batch
        item.save(update_fields=["state", "batch"])
        _step(item, DeclarationStep.Action.COLLECT, by)
    return batch


@transaction.atomic
def return_item(*, by, declaration: Declaration, reason: str) -> Declaration:
    """The convener sends one item back to the member, with the reason."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.batch is None or not is_convener(by, declaration.batch.branch):
        raise PermissionDenied
    if declaration.batch.state != Batch.State.OPEN:
        raise ValidationError(_("The batch has been submitted; the community decides now."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it goes back.")})
    declaration.state, declaration.batch = Declaration.State.RETURNED, None
    declaration.reason = reason.strip()
    declaration.save(update_fields=["state", "batch", "reason"])
    _step(declaration, DeclarationStep.Action.RETURN, by, declaration.reason)
    return declaration


@transaction.atomic
def submit_batch(*, by, batch: Batch) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if not is_convener(by, batch.branch):
        raise PermissionDenied
    if batch.state != Batch.State.OPEN or not batch.declarations.exists():
        raise ValidationError(_("Only an open batch with items can be submitted."))
    batch.state, batch.submitted_at = Batch.State.SUBMITTED, timezone.now()
    batch.save(update_fields=["state", "submitted_at"])
    return batch


def _earned(account: Account, rule: Rule, first: dt.date, last: dt.date) -> int:
    """Points the rule has paid this account for services on ``first``…``last`` (net of
    reversals): caps count by the day of the service, not the day of the approval."""
    sources = [
        f"declaration:{pk}"
        for pk in Declaration.objects.filter(
            account=account,
            rule__code=rule.code,
            state=Declaration.State.APPROVED,
            served_on__range=(first, last),
        ).values_list("pk", flat=True)
    ]
    return Entry.objects.filter(source__in=sources).aggregate(s=Sum("amount"))["s"] or 0


def _community_of(declaration: Declaration):
    """Who verifies: the batch's branch's community, or (proposals and staff records, which
    have no batch) the account's."""
    if declaration.batch_id:
        return declaration.batch.branch.community
    return declaration.account.community


def _check_caps(declaration: Declaration, amount: int) -> None:
    rule, day = declaration.rule, declaration.served_on
    for cap, kind in ((rule.cap_day, None), (rule.cap_month, "month"), (rule.cap_year, "year")):
        if cap is None:
            continue
        period = containing(day, kind) if kind else None
        first, last = (period.first, period.last) if period else (day, day)
        if _earned(declaration.account, rule, first, last) + amount > cap:
            raise ValidationError(
                _("This would pass the rule's cap of %(cap)s points; reject it or lower it.")
                % {"cap": cap}
            )


def _pay(declaration: Declaration, by, *, publicity: bool) -> Entry:
    """Post an approved item. Its key counts the approvals, so an item approved again after an
    objection posts anew while a retried approval posts nothing."""
    amount = declaration.rule.amount_for(declaration.hours)
    _check_caps(declaration, amount)
    now = timezone.now()
    days = declaration.account.scheme.publicity_days if publicity else 0
    declaration.public_until = now + dt.timedelta(days=days) if days else None
    earlier = declaration.steps.filter(action=DeclarationStep.Action.APPROVE).count()
    key = f"declaration:{declaration.pk}" + (f":{earlier + 1}" if earlier else "")
    return post(
        account=declaration.account,
        amount=amount,
        kind=Entry.Kind.EARN,
        idempotency_key=key,
        by=by,
        rule=declaration.rule,
        source=f"declaration:{declaration.pk}",
        earned_on=declaration.served_on,
        counts_from=declaration.public_until or now,
    )


@transaction.atomic
def verify(*, by, declaration: Declaration, approve: bool, reason: str = "") -> Declaration:
    """社区核实, item by item: approval posts the points in the same transaction and puts the
    item under publicity (公示); a rejection posts nothing. Caps are the rule's."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("batch__branch__community", "rule", "account__scheme", "account")
        .get(pk=declaration.pk)
    )
    batch = declaration.batch
    if not can(by, PointsCapability.VERIFY_POINTS, _community_of(declaration)):
        raise PermissionDenied
    waiting = batch is None or batch.state == Batch.State.SUBMITTED
    if not waiting or declaration.state != Declaration.State.COLLECTED:
        raise ValidationError(_("Only items waiting for verification are verified, each once."))
    if approve:
        _pay(declaration, by, publicity=True)
        declaration.state = Declaration.State.APPROVED
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why it is rejected.")})
        declaration.state = Declaration.State.REJECTED
    declaration.reason = reason.strip()
    declaration.save(update_fields=["state", "reason", "public_until"])
    action = DeclarationStep.Action.APPROVE if approve else DeclarationStep.Action.REJECT
    _step(declaration, action, by, declaration.reason)
    if (
        batch is not None
        and not batch.declarations.filter(state=Declaration.State.COLLECTED).exists()
    ):
        Batch.objects.filter(pk=batch.pk).update(state=Batch.State.VERIFIED)
    return declaration


def _current_rule(rule: Rule, account: Account) -> Rule:
    rule = Rule.objects.get(pk=rule.pk)  # as it is now: it may have been superseded
    if rule.superseded_at is not None or rule.scheme_id != account.scheme_id:
        raise ValidationError({"rule": _("Choose a rule of this scheme that is in force.")})
    return rule


@transaction.atomic
def propose(
    *,
    by,
    account: Account,
    rule: Rule,
    served_on: dt.date,
    description: str,
    source_key: str,
    hours: Decimal | None = None,
) -> Declaration:
    """A proposal made for someone (a closed request's assignee): it waits for the same
    community verification. One per source, so a request can never pay out twice."""
    existing = Declaration.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    rule = _current_rule(rule, account)
    rule.amount_for(hours)
    declaration = Declaration(
        client_id=uuid.uuid4(),
        origin=Declaration.Origin.TICKET,
        source_key=source_key,
        account=account,
        rule=rule,
        served_on=served_on,
        hours=hours,
        description=description.strip()[:1000],
        state=Declaration.State.COLLECTED,
        created_by=by,
    )
    declaration.full_clean(exclude=["client_id"])
    declaration.save()
    _step(declaration, DeclarationStep.Action.PROPOSE, by)
    return declaration


@transaction.atomic
def record_conduct(
    *,
    by,
    client_id,
    account: Account,
    rule: Rule,
    served_on: dt.date,
    description: str,
    hours: Decimal | None = None,
    photos: Iterable = (),
) -> Declaration:
    """文明积分: staff record a resident's good conduct by rule. A rule verified by nobody
    posts at once; otherwise the record waits for the community like any declaration."""
    existing = Declaration.objects.filter(client_id=client_id).first()
    if existing is not None:
        return existing
    if not can(by, StationCapability.MANAGE_STATIONS, account.community):
        raise PermissionDenied
    rule = _current_rule(rule, account)
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("Conduct is recorded after it took place.")})
    rule.amount_for(hours)
    cleaned = clean_photos(photos, max_count=3)
    if rule.evidence_required and not cleaned:
        raise ValidationError({"photos": _("This kind of conduct needs a photo.")})
    declaration = Declaration(
        client_id=client_id,
        origin=Declaration.Origin.RECORDED,
        account=account,
        rule=rule,
        served_on=served_on,
        hours=hours,
        description=description.strip(),
        state=Declaration.State.COLLECTED,
        created_by=by,
    )
    declaration.full_clean(exclude=["client_id"])
    declaration.save()
    _save_photos(declaration, cleaned)
    _step(declaration, DeclarationStep.Action.RECORD, by)
    if rule.verifier == Rule.Verifier.NONE:
        _pay(declaration, by, publicity=False)
        declaration.state = Declaration.State.APPROVED
        declaration.save(update_fields=["state", "public_until"])
        _step(declaration, DeclarationStep.Action.APPROVE, by)
    return declaration


@transaction.atomic
def object_to(*, by, declaration: Declaration, reason: str) -> Objection:
    """公示异议: an objection in the window reverses the points and sends the item back to
    the community's verification list, with the objection beside it."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("account__community")
        .get(pk=declaration.pk)
    )
    if not may_object(by, declaration):
        raise PermissionDenied
    if not declaration.in_publicity():
        raise ValidationError(_("The objection window for this item has closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what is wrong with it.")})
    objection = Objection(declaration=declaration, raised_by=by, reason=reason.strip())
    objection.full_clean()
    objection.save()
    paid = Entry.objects.filter(
        source=f"declaration:{declaration.pk}", kind=Entry.Kind.EARN, reversed_by__isnull=True
    )
    for entry in paid:
        reverse(entry=entry, by=by, reason=_("Objection: %(reason)s") % {"reason": reason[:150]})
    declaration.state, declaration.public_until = Declaration.State.COLLECTED, None
    declaration.save(update_fields=["state", "public_until"])
    if declaration.batch_id:
        Batch.objects.filter(pk=declaration.batch_id).update(state=Batch.State.SUBMITTED)
    _step(declaration, DeclarationStep.Action.OBJECT, by, objection.reason)
    return objection


@transaction.atomic
def redeclare(*, by, declaration: Declaration, description: str, hours=None) -> Declaration:
    """A returned item, put right by its member, goes back to the convener."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.created_by_id != by.pk or declaration.origin != Declaration.Origin.DECLARED:
        raise PermissionDenied
    if declaration.state != Declaration.State.RETURNED:
        raise ValidationError(_("Only a returned item is declared again."))
    declaration.rule.amount_for(hours)
    declaration.description, declaration.hours = description.strip(), hours
    declaration.state, declaration.reason = Declaration.State.DECLARED, ""
    declaration.full_clean(exclude=["client_id"])
    declaration.save(update_fields=["description", "hours", "state", "reason"])
    _step(declaration, DeclarationStep.Action.REDECLARE, by)
    return declaration


def _balance_at(account: Account, moment: dt.datetime) -> int:
    return (
        Entry.objects.filter(account=account, posted_at__lt=moment).aggregate(s=Sum("amount"))["s"]
        or 0
    )


@transaction.atomic
def expire_account(*, account: Account, cutoff: dt.date) -> Entry | None:
    """Points posted before ``cutoff`` and not spent lapse on it by one expiry entry. What was
    spent after the cutoff came from the old points first (first in, first out)."""
    account = _locked(account)
    moment = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    before = _balance_at(account, moment)
    spent_since = -(
        Entry.objects.filter(account=account, posted_at__gte=moment, amount__lt=0)
        .exclude(kind=Entry.Kind.EXPIRY)
        .aggregate(s=Sum("amount"))["s"]
        or 0
    )
    amount = min(account.balance, before - spent_since)
    if amount <= 0:
        return None
    return post(
        account=account,
        amount=-amount,
        kind=Entry.Kind.EXPIRY,
        idempotency_key=f"expiry:{account.pk}:{cutoff.isoformat()}",
        source=f"expiry:{cutoff.isoformat()}",
        note=_("Points posted before %(date)s lapsed.") % {"date": cutoff.isoformat()},
    )


def expire_points(*, today: dt.date | None = None) -> int:
    """Run every scheme's latest lapse date that has come (idempotent: each account and date
    has one key). Returns how many accounts lost points."""
    today = today or timezone.localdate()
    lapsed = 0
    for scheme in Scheme.objects.filter(expiry_months__isnull=False, active=True):
        cutoff = scheme.period_start(today)  # the boundary most recently passed
        moment = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
        done = Entry.objects.filter(account=OuterRef("pk"), source=f"expiry:{cutoff.isoformat()}")
        accounts = Account.objects.filter(
            Exists(Entry.objects.filter(account=OuterRef("pk"), posted_at__lt=moment)),
            scheme=scheme,
            balance__gt=0,
        ).exclude(Exists(done))
        for account in accounts.iterator():
            if expire_account(account=account, cutoff=cutoff) is not None:
                lapsed += 1
    return lapsed


@transaction.atomic
def publish_honours(*, by, honour_list: HonourList, area, period: Period) -> HonourPeriod:
    """红黑榜: measure the units once the period has ended and freeze the result; the
    published list is never recomputed."""
    from points.selectors import measure_units

    if not can(by, BranchCapability.MANAGE_BRANCHES, area):
        raise PermissionDenied
    if not honour_list.applies_at(area):
        raise ValidationError(_("This list is another street's."))
    if not period.ended:
        raise ValidationError(_("A list is published once its period has ended."))
    if HonourPeriod.objects.filter(honour_list=honour_list, area=area, period=period.key).exists():
        raise ValidationError(_("This list has already been published for this period."))
    measured = measure_units(honour_list=honour_list, area=area, period=period)
    if not measured:
        raise ValidationError(_("No units to rank here."))
    published = HonourPeriod.objects.create(
        honour_list=honour_list, area=area, period=period.key, published_by=by
    )
    size = min(honour_list.size, len(measured) // 2 or 1)
    rows = [
        HonourRow(
            published=published,
            board=HonourRow.Board.RED,
            rank=n,
            unit_name=unit.name,
            unit_key=unit.code,
            value=value,
        )
        for n, (unit, value) in enumerate(measured[:size], start=1)
    ]
    if len(measured) > size:
        rows += [
            HonourRow(
                published=published,
                board=HonourRow.Board.BLACK,
                rank=n,
                unit_name=unit.name,
                unit_key=unit.code,
                value=value,
            )
            for n, (unit, value) in enumerate(reversed(measured[-size:]), start=1)
        ]
    HonourRow.objects.bulk_create(rows)
    return published


def open_account(*, scheme: Scheme, community=None, member=None, resident=None, user=None):
    """The holder's one account in ``scheme``, opened on first use (race-safe: the unique
    constraints decide, the loser reads the winner's row)."""
    holder = (
        {"member": member}
        if member is not None
        else {"resident": resident}
        if resident is not None
        else {"user": user}
    )
    found = Account.objects.filter(scheme=scheme, **holder).first()
    if found is not None:
        return found
    if member is not None:
        community = member.community
    elif resident is not None:
        community = resident.household.grid.community()
    account = Account(scheme=scheme, community=community, **holder)
    account.full_clean()
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        return Account.objects.get(scheme=scheme, **holder)
    return account


def account_for_user(*, scheme: Scheme, user, community) -> Account:
    """A signed-in person's account: their party member's if they are one."""
    member = getattr(user, "party_member", None)
    if member is not None:
        return open_account(scheme=scheme, member=member)
    return open_account(scheme=scheme, user=user, community=community)


def ticket_rule() -> Rule | None:
    """The rule closed requests earn by (POINTS_TICKET_RULE, "scheme:rule")."""
    scheme_code, _sep, rule_code = settings.POINTS_TICKET_RULE.partition(":")
    return (
        Rule.objects.select_related("scheme")
        .filter(
            scheme__code=scheme_code,
            scheme__active=True,
            code=rule_code,
            superseded_at__isnull=True,
        )
        .first()
    )
