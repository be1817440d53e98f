"""The one way points move: every write is an entry in the ledger, with the account's cached
balance updated in the same transaction under a row lock, and an idempotency key that makes a
retry post nothing new."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_photos
from grids.roles import Capability
from grids.scope import can
from points.models import (
    Account,
    Batch,
    Declaration,
    DeclarationPhoto,
    DeclarationStep,
    Entry,
    Redemption,
    Reward,
    Rule,
)


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
) -> Entry:
    """Append one entry and move the cached balance; the same key twice returns the first."""
    existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
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
    )
    entry.full_clean(exclude=["idempotency_key"])
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
    )


@transaction.atomic
def redeem(*, account: Account, reward: Reward, by, idempotency_key: str) -> Redemption:
    """积分兑奖励 at a station: stock and balance are checked under row locks (reward first,
    then account, always in that order), so concurrent redemptions never overdraw either."""
    if not can(by, Capability.MANAGE_STATIONS, reward.community):
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


@transaction.atomic
def revise_rule(*, rule: Rule, **changes) -> Rule:
    """A rule changes by a new version; the old one stays for the entries that cite it."""
    current = Rule.objects.select_for_update().get(pk=rule.pk)
    if current.superseded_at is not None:
        raise ValidationError(_("Only the version in force can be revised."))
    current.superseded_at = timezone.now()
    current.save(update_fields=["superseded_at"])
    fields = {
        f.name: getattr(current, f.name)
        for f in Rule._meta.concrete_fields
        if f.name not in ("id", "version", "superseded_at", "created_at")
    }
    newer = Rule(**{**fields, **changes}, version=current.version + 1)
    newer.full_clean()
    newer.save()
    return newer


# --- Earning: the member declares, the convener collects, the community verifies ---------------


def _step(declaration: Declaration, action: str, by, note: str = "") -> None:
    DeclarationStep.objects.create(declaration=declaration, action=action, actor=by, note=note)


def _is_convener(user, branch) -> bool:
    """The branch secretary (召集人), or community staff standing in for them."""
    secretary = branch.secretary
    return (secretary is not None and secretary.user_id == user.pk) or can(
        user, Capability.MANAGE_BRANCHES, branch.community
    )


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
    rule = Rule.objects.get(pk=rule.pk)  # as it is now: it may have been superseded
    if rule.superseded_at is not None or rule.scheme_id != account.scheme_id:
        raise ValidationError({"rule": _("Choose a rule of this scheme that is in force.")})
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
    for content in cleaned:
        photo = DeclarationPhoto(declaration=declaration)
        photo.image.save(content.name, content, save=False)
        photo.save()
    _step(declaration, "declare", by)
    return declaration


@transaction.atomic
def collect(*, by, branch, declarations: Iterable[Declaration]) -> Batch:
    """召集人汇总: gather the branch's declared items into one batch."""
    if not _is_convener(by, branch):
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
        _step(item, "collect", by)
    return batch


@transaction.atomic
def return_item(*, by, declaration: Declaration, reason: str) -> Declaration:
    """The convener sends one item back to the member, with the reason."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.batch is None or not _is_convener(by, declaration.batch.branch):
        raise PermissionDenied
    if declaration.batch.state != Batch.State.OPEN:
        raise ValidationError(_("The batch has been submitted; the community decides now."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it goes back.")})
    declaration.state, declaration.batch = Declaration.State.RETURNED, None
    declaration.reason = reason.strip()
    declaration.save(update_fields=["state", "batch", "reason"])
    _step(declaration, "return", by, declaration.reason)
    return declaration


@transaction.atomic
def submit_batch(*, by, batch: Batch) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if not _is_convener(by, batch.branch):
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


@transaction.atomic
def verify(*, by, declaration: Declaration, approve: bool, reason: str = "") -> Declaration:
    """社区核实, item by item: approval posts the points in the same transaction; a
    rejection posts nothing. Caps per day, month and year are the rule's."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("batch__branch__community", "rule", "account")
        .get(pk=declaration.pk)
    )
    batch = declaration.batch
    if batch is None or not can(by, Capability.VERIFY_POINTS, batch.branch.community):
        raise PermissionDenied
    if batch.state != Batch.State.SUBMITTED or declaration.state != Declaration.State.COLLECTED:
        raise ValidationError(_("Only items of a submitted batch are verified, each once."))
    if approve:
        rule = declaration.rule
        amount = rule.amount_for(declaration.hours)
        day = declaration.served_on
        month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
        for cap, first, last in (
            (rule.cap_day, day, day),
            (rule.cap_month, day.replace(day=1), month_end),
            (rule.cap_year, day.replace(month=1, day=1), day.replace(month=12, day=31)),
        ):
            if cap is not None and _earned(declaration.account, rule, first, last) + amount > cap:
                raise ValidationError(
                    _("This would pass the rule's cap of %(cap)s points; reject it or lower it.")
                    % {"cap": cap}
                )
        post(
            account=declaration.account,
            amount=amount,
            kind=Entry.Kind.EARN,
            idempotency_key=f"declaration:{declaration.pk}",
            by=by,
            rule=rule,
            source=f"declaration:{declaration.pk}",
        )
        declaration.state = Declaration.State.APPROVED
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why it is rejected.")})
        declaration.state = Declaration.State.REJECTED
    declaration.reason = reason.strip()
    declaration.save(update_fields=["state", "reason"])
    _step(declaration, "approve" if approve else "reject", by, declaration.reason)
    if not batch.declarations.filter(state=Declaration.State.COLLECTED).exists():
        Batch.objects.filter(pk=batch.pk).update(state=Batch.State.VERIFIED)
    return declaration
