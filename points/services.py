"""The one way points move: every write is an entry in the ledger, with the account's cached
balance updated in the same transaction under a row lock, and an idempotency key that makes a
retry post nothing new."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from grids.roles import Capability
from grids.scope import can
from points.models import Account, Entry, Redemption, Reward, Rule


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
