"""Reading points: rankings, the annual minimum, red/black list measures, the appraisal export.

Rankings count earned points (and their reversals) by the day they were earned, once their
publicity has ended; redemptions and expiry move balances, never rankings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import Branch, MemberKind, PartyMember
from grids.models import Area
from grids.roles import Level
from points.models import Account, Declaration, Entry, HonourList, Scheme
from points.periods import Period

COUNTED = (Entry.Kind.EARN, Entry.Kind.REVERSAL)


class Audience:
    MEMBERS = "members"
    RESIDENTS = "residents"


def counted_q(period: Period, now: dt.datetime | None = None, prefix: str = "") -> Q:
    """Entries that count for a ranking of ``period`` as of ``now``."""
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}kind__in": COUNTED,
            f"{prefix}earned_on__range": (period.first, period.last),
            f"{prefix}counts_from__lte": now,
        }
    )


@dataclass
class Standing:
    rank: int
    account: Account
    points: int
    services: int

    @property
    def name(self) -> str:
        return str(self.account.holder)


def _unit_filter(unit) -> Q:
    if isinstance(unit, Branch):
        return Q(member__branch=unit)
    if unit.level == Level.GRID:
        return Q(member__household__grid=unit) | Q(resident__household__grid=unit)
    return Q(community__path__startswith=unit.path)


def leaderboard(
    *, scheme: Scheme, unit, period: Period, audience: str, limit: int = 50, now=None
) -> list[Standing]:
    """Who earned most in ``unit`` (a branch, or an area of any level) in ``period``.

    Ties are broken the same way every time: more verified services first, then the account
    opened earlier. One query, whatever the number of accounts.
    """
    accounts = Account.objects.filter(_unit_filter(unit), scheme=scheme)
    if audience == Audience.MEMBERS:
        accounts = accounts.filter(member__isnull=False)
    else:
        accounts = accounts.filter(member__isnull=True)
    counted = counted_q(period, now, "entries__")
    rows = (
        accounts.annotate(
            points=Coalesce(Sum("entries__amount", filter=counted), 0),
            services=Count("entries", filter=counted & Q(entries__kind=Entry.Kind.EARN)),
        )
        .filter(points__gt=0)
        .select_related("member", "resident", "user")
        .order_by("-points", "-services", "pk")[:limit]
    )
    return [
        Standing(rank=n, account=a, points=a.points, services=a.services)
        for n, a in enumerate(rows, start=1)
    ]


def standing_of(*, account: Account, unit, period: Period, now=None) -> Standing | None:
    """An account's own place on its board, however far down: three queries."""
    counted = counted_q(period, now, "entries__")
    audience = Q(member__isnull=False) if account.member_id else Q(member__isnull=True)
    board = (
        Account.objects.filter(_unit_filter(unit), audience, scheme=account.scheme)
        .annotate(
            points=Coalesce(Sum("entries__amount", filter=counted), 0),
            services=Count("entries", filter=counted & Q(entries__kind=Entry.Kind.EARN)),
        )
        .filter(points__gt=0)
    )
    mine = board.filter(pk=account.pk).first()
    if mine is None:
        return None
    ahead = board.filter(
        Q(points__gt=mine.points)
        | Q(points=mine.points, services__gt=mine.services)
        | Q(points=mine.points, services=mine.services, pk__lt=mine.pk)
    ).count()
    return Standing(rank=ahead + 1, account=account, points=mine.points, services=mine.services)


def verified_service_q(first: dt.date, last: dt.date) -> Exists:
    return Exists(
        Declaration.objects.filter(
            account__member=OuterRef("pk"),
            state=Declaration.State.APPROVED,
            served_on__range=(first, last),
        )
    )


def minimum_unmet(*, members, year: int):
    """在职党员 with no verified service in ``year``: the annual minimum not met."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (
        members.filter(kind=MemberKind.IN_SERVICE, active=True)
        .exclude(verified_service_q(first, last))
        .select_related("community", "branch")
        .order_by("community__path", "branch__code", "name", "pk")
    )


# --- Red and black lists -------------------------------------------------------------------


def _units(honour_list: HonourList, area: Area):
    if honour_list.unit == HonourList.Unit.BRANCH:
        return Branch.objects.filter(community__path__startswith=area.path)
    return Area.objects.filter(
        path__startswith=area.path, level__in=[Level.COMMUNITY, Level.VILLAGE]
    )


def measure_units(
    *, honour_list: HonourList, area: Area, period: Period, now=None
) -> list[tuple[object, Decimal]]:
    """Every unit under ``area`` with its value of the list's measure, best first; ties in
    the order of the units' codes. Units with no members are left out (no measure)."""
    scheme = honour_list.scheme
    member_link = "branch" if honour_list.unit == HonourList.Unit.BRANCH else "community"
    members = PartyMember.objects.filter(**{member_link: OuterRef("pk")}, active=True)
    points = (
        Entry.objects.filter(
            counted_q(period, now),
            account__scheme=scheme,
            **{f"account__member__{member_link}": OuterRef("pk")},
        )
        .values(f"account__member__{member_link}")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    in_service = members.filter(kind=MemberKind.IN_SERVICE)
    units = _units(honour_list, area).annotate(
        n_members=Coalesce(
            members.values(member_link).annotate(c=Count("pk")).values("c"),
            Value(0),
            output_field=IntegerField(),
        ),
        n_in_service=Coalesce(
            in_service.values(member_link).annotate(c=Count("pk")).values("c"),
            Value(0),
            output_field=IntegerField(),
        ),
        n_met=Coalesce(
            in_service.filter(verified_service_q(period.first, period.last))
            .values(member_link)
            .annotate(c=Count("pk"))
            .values("c"),
            Value(0),
            output_field=IntegerField(),
        ),
        total=Coalesce(points, Value(0), output_field=IntegerField()),
    )
    measured = []
    for unit in units:
        if honour_list.measure == HonourList.Measure.TOTAL_POINTS:
            if not unit.n_members:
                continue
            value = Decimal(unit.total)
        elif honour_list.measure == HonourList.Measure.POINTS_PER_MEMBER:
            if not unit.n_members:
                continue
            value = Decimal(unit.total) / unit.n_members
        else:
            if not unit.n_in_service:
                continue
            value = Decimal(100 * unit.n_met) / unit.n_in_service
        measured.append((unit, value.quantize(Decimal("0.01"))))
    measured.sort(key=lambda pair: (-pair[1], pair[0].code))
    return measured


# --- The appraisal export (评优评先) ----------------------------------------------------------


def appraisal_rows(*, members, scheme: Scheme | None, period: Period, now=None):
    """One row per member: points counted in the period, verified services, the minimum."""
    counted = counted_q(period, now, "point_accounts__entries__")
    in_scheme = Q(point_accounts__scheme=scheme) if scheme else Q(pk__in=[])
    year_first = dt.date(period.first.year, 1, 1)
    year_last = dt.date(period.first.year, 12, 31)
    return (
        members.annotate(
            n_points=Coalesce(
                Sum("point_accounts__entries__amount", filter=counted & in_scheme), 0
            ),
            n_services=Count(
                "point_accounts__entries",
                filter=counted & in_scheme & Q(point_accounts__entries__kind=Entry.Kind.EARN),
            ),
            minimum_met=verified_service_q(year_first, year_last),
        )
        .select_related("community", "branch")
        .order_by("community__path", "branch__code", "-n_points", "name", "pk")
    )
