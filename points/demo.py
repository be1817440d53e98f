"""Demo points: a year of members' declared services (党员申报、召集人汇总、社区核实) and of
residents' civility points, rewards handed over at stations, last year's civility points
lapsed, a red/black list published for the last half-year, and work waiting today in the
demo accounts' community. Deterministic from the demo's random generator.

The year gone by is written in bulk (thousands of items) exactly as the services would have
left it: every approved item has its steps and one ledger entry under its rule version,
rejected ones none, and each balance is the sum of its entries (checked at the end). Today's
waiting work goes through the services themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import Left, RowNumber
from django.utils import timezone
from django.utils.translation import gettext

from branches.models import Branch, MemberKind, PartyMember
from grids.demo import Demo
from grids.models import Area, Post, Resident
from grids.roles import Level, Role
from points import services
from points.models import (
    Account,
    Batch,
    Declaration,
    DeclarationStep,
    Entry,
    HonourList,
    Redemption,
    Reward,
    Rule,
    Scheme,
)
from points.periods import containing

A = DeclarationStep.Action
DESCRIPTIONS = [
    "为独居老人代购生活用品",
    "小区环境清洁志愿服务",
    "四点半课堂辅导作业",
    "文明交通劝导",
    "协助开展垃圾分类督导",
    "反诈宣传进楼道",
    "助老理发义剪",
    "疫苗接种点秩序维护",
]
CONDUCT = ["主动垃圾分类", "清理楼道杂物", "邻里纠纷主动调解", "参加社区义务巡逻", "捐赠闲置衣物"]
REWARDS = [
    ("洗衣液一瓶", 30, 40),
    ("大米5公斤", 60, 25),
    ("理发券", 20, 60),
    ("环保购物袋", 10, 100),
]


def _schemes():
    service = Scheme.objects.create(
        code="service",
        name_en="Party members' service points",
        name_zh="党员服务积分",
        audience=Scheme.Audience.MEMBERS,
        publicity_days=5,
    )
    civility = Scheme.objects.create(
        code="civility",
        name_en="Civility points",
        name_zh="文明积分",
        audience=Scheme.Audience.RESIDENTS,
        publicity_days=3,
        expiry_months=12,
    )
    volunteer = Rule.objects.create(
        scheme=service,
        code="volunteer",
        name_en="Volunteer service",
        name_zh="志愿服务",
        points=1,
        unit=Rule.Unit.HOUR,
        cap_day=8,
        cap_month=40,
    )
    rules = {
        "elderly": Rule.objects.create(
            scheme=service,
            code="elderly",
            name_en="Visit to an elderly person living alone",
            name_zh="走访独居老人",
            points=3,
            cap_day=6,
            evidence_required=True,
        ),
        "meeting": Rule.objects.create(
            scheme=service,
            code="meeting",
            name_en="Themed party day activity",
            name_zh="主题党日活动",
            points=2,
            cap_month=4,
        ),
        "ticket": Rule.objects.create(
            scheme=service,
            code="ticket",
            name_en="Resident request handled (rated 4–5 stars)",
            name_zh="接单办结（好评）",
            points=3,
        ),
    }
    conduct = {
        "sorting": Rule.objects.create(
            scheme=civility,
            code="sorting",
            name_en="Waste sorting",
            name_zh="垃圾分类",
            points=5,
            cap_month=20,
            verifier=Rule.Verifier.NONE,
        ),
        "helping": Rule.objects.create(
            scheme=civility,
            code="helping",
            name_en="Helping neighbours",
            name_zh="邻里互助",
            points=8,
        ),
    }
    return service, civility, volunteer, rules, conduct


def _moment(rng, day: dt.date, hour=(9, 18)) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(rng.randint(*hour), rng.randint(0, 59)))
    )


class Book:
    """Bulk writes of the year gone by, kept as the services keep them."""

    def __init__(self):
        self.declarations: list[Declaration] = []
        self.steps: list[tuple[Declaration, str, int, dt.datetime, str]] = []
        self.entries: list[tuple[Declaration, Entry]] = []

    def item(self, declaration, steps):
        """An item that posted nothing (rejected)."""
        self.declarations.append(declaration)
        for action, actor, at, note in steps:
            self.steps.append((declaration, action, actor, at, note))

    def paid(self, declaration, steps, *, by: int, at: dt.datetime):
        """An approved item and its one entry, under the rule version it names."""
        self.item(declaration, steps)
        rule = declaration.rule
        entry = Entry(
            account=declaration.account,
            amount=rule.amount_for(declaration.hours),
            kind=Entry.Kind.EARN,
            rule=rule,
            rule_version=rule.version,
            posted_by_id=by,
            posted_at=at,
            earned_on=declaration.served_on,
            counts_from=declaration.public_until or at,
        )
        self.entries.append((declaration, entry))
        return entry

    def write(self):
        for declaration in self.declarations:
            declaration.batch = getattr(declaration, "_batch", None)
        Declaration.objects.bulk_create(self.declarations, batch_size=2000)
        DeclarationStep.objects.bulk_create(
            [
                DeclarationStep(declaration=d, action=a, actor_id=who, at=at, note=note)
                for d, a, who, at, note in self.steps
            ],
            batch_size=5000,
        )
        for declaration, entry in self.entries:
            entry.idempotency_key = f"declaration:{declaration.pk}"
            entry.source = f"declaration:{declaration.pk}"
        Entry.objects.bulk_create([e for _d, e in self.entries], batch_size=5000)


def first_residents(communities, n: int) -> dict[int, list[int]]:
    """{community id: the ids of its first ``n`` residents, by id}, in one query: one per
    community took 2–4.5 s each at district scale (inside the seed's transaction, before
    ANALYZE, PostgreSQL plans them blind)."""
    by_path = {c.path: c.pk for c in communities}
    lengths = {len(path) for path in by_path}
    found: dict[int, list[int]] = {}
    for length in sorted(lengths):
        place = Left("household__grid__path", length)
        rows = (
            Resident.objects.annotate(
                place=place,
                rank=Window(RowNumber(), partition_by=[place], order_by=F("pk").asc()),
            )
            .filter(place__in=[p for p in by_path if len(p) == length], rank__lte=n)
            .order_by("pk")
            .values_list("place", "pk")
        )
        for path, pk in rows:
            found.setdefault(by_path[path], []).append(pk)
    return found


def community_verifiers(communities) -> dict[int, int]:
    """Each community's first community officer (by username): who verified its points."""
    verifier_of: dict[int, int] = {}
    for area_id, user_id in (
        Post.objects.active()
        .filter(area__in=list(communities), role=Role.COMMUNITY_STAFF)
        .order_by("user__username", "pk")
        .values_list("area_id", "user_id")
    ):
        verifier_of.setdefault(area_id, user_id)
    return verifier_of


def seed(demo: Demo, password: str) -> None:
    rng = demo.rng
    now = timezone.now()
    today = timezone.localdate()
    district = demo.district
    service, civility, volunteer_v1, rules, conduct = _schemes()
    # The volunteer rule went from 1 to 2 points an hour in July: older entries keep v1.
    change = dt.date(today.year if today.month > 7 else today.year - 1, 7, 1)
    volunteer_v1.created_at = now - dt.timedelta(days=400)
    volunteer_v1.save(update_fields=["created_at"])
    volunteer_v2 = services.revise_rule(rule=volunteer_v1, points=2)
    Rule.objects.filter(pk=volunteer_v1.pk).update(
        superseded_at=timezone.make_aware(dt.datetime.combine(change, dt.time.min))
    )

    communities = list(
        Area.objects.filter(
            path__startswith=district.path, level__in=[Level.COMMUNITY, Level.VILLAGE]
        ).order_by("path")
    )
    verifier_of = community_verifiers(communities)
    fallback_verifier = next(iter(verifier_of.values()))
    members = list(
        PartyMember.objects.filter(community__path__startswith=district.path, active=True)
        .select_related("branch__secretary")
        .order_by("pk")
    )
    accounts = {
        m.pk: Account(scheme=service, community_id=m.community_id, member=m) for m in members
    }
    Account.objects.bulk_create(accounts.values(), batch_size=2000)

    book = Book()
    idle_shown: set[int] = set()
    batches: dict[tuple[int, dt.date], Batch] = {}
    first_month = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    history_end = today - dt.timedelta(days=14)
    for member in members:
        # Members with a sign-in declare themselves; in-service members' services are
        # entered by the community on their behalf (often from the unit's sign-in sheet).
        own = member.user_id is not None
        if not own and member.kind != MemberKind.IN_SERVICE and rng.random() < 0.8:
            continue
        if member.kind == MemberKind.IN_SERVICE and (
            rng.random() < 0.25 or member.community_id not in idle_shown
        ):
            # Not met the annual minimum: shown on the minimum page (one in each community).
            idle_shown.add(member.community_id)
            continue
        verifier = verifier_of.get(member.community_id, fallback_verifier)
        account = accounts[member.pk]
        month = first_month
        while month <= history_end:
            for _ in range(rng.choice([0, 1, 1, 2] if own else [0, 0, 0, 1])):
                day = month + dt.timedelta(days=rng.randint(0, 27))
                if day > history_end:
                    continue
                kind = rng.choice(["volunteer", "volunteer", "elderly", "meeting"])
                if kind == "volunteer":
                    rule = volunteer_v1 if day < change else volunteer_v2
                    hours = Decimal(rng.choice(["1", "1.5", "2", "2.5", "3"]))
                else:
                    rule, hours = rules[kind], None
                declared_at = _moment(rng, day + dt.timedelta(days=rng.randint(0, 3)))
                approved_at = _moment(rng, day + dt.timedelta(days=rng.randint(6, 12)))
                branch = member.branch
                batch = None
                steps = [(A.DECLARE, member.user_id or verifier, declared_at, "")]
                if own and branch is not None:
                    convener = (
                        branch.secretary.user_id
                        if branch.secretary and branch.secretary.user_id
                        else verifier
                    )
                    key = (branch.pk, month)
                    if key not in batches:
                        batches[key] = Batch(
                            branch=branch,
                            convener_id=convener,
                            state=Batch.State.VERIFIED,
                            created_at=declared_at,
                            submitted_at=declared_at + dt.timedelta(days=2),
                        )
                    batch = batches[key]
                    steps.append((A.COLLECT, convener, declared_at + dt.timedelta(days=1), ""))
                rejected = rng.random() < 0.04
                declaration = Declaration(
                    client_id=uuid.UUID(int=rng.getrandbits(128)),
                    account=account,
                    rule=rule,
                    served_on=day,
                    hours=hours,
                    description=rng.choice(DESCRIPTIONS),
                    state=Declaration.State.REJECTED if rejected else Declaration.State.APPROVED,
                    reason="与已申报事项重复" if rejected else "",
                    public_until=None
                    if rejected
                    else approved_at + dt.timedelta(days=service.publicity_days),
                    created_by_id=member.user_id or verifier,
                    created_at=declared_at,
                )
                declaration._batch = batch
                if rejected:
                    steps.append((A.REJECT, verifier, approved_at, declaration.reason))
                    book.item(declaration, steps)
                    continue
                steps.append((A.APPROVE, verifier, approved_at, ""))
                book.paid(declaration, steps, by=verifier, at=approved_at)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    Batch.objects.bulk_create(batches.values(), batch_size=2000)

    # Residents' civility points: some residents of every community, a year of good conduct.
    resident_accounts = []
    first = first_residents(communities, 60)
    for community in communities:
        for resident_id in first.get(community.pk, []):
            if rng.random() < 0.5:
                resident_accounts.append(
                    Account(scheme=civility, community=community, resident_id=resident_id)
                )
    Account.objects.bulk_create(resident_accounts, batch_size=2000)
    conduct_start = today - dt.timedelta(days=400)
    for account in resident_accounts:
        verifier = verifier_of.get(account.community_id, fallback_verifier)
        for _ in range(rng.randint(1, 6)):
            day = conduct_start + dt.timedelta(days=rng.randint(0, 380))
            rule = conduct["sorting"] if rng.random() < 0.7 else conduct["helping"]
            at = _moment(rng, day + dt.timedelta(days=rng.randint(0, 2)))
            if at > now:
                continue
            approved = at + dt.timedelta(days=0 if rule.verifier == "none" else 3)
            public = (
                None
                if rule.verifier == "none"
                else approved + dt.timedelta(days=civility.publicity_days)
            )
            declaration = Declaration(
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                origin=Declaration.Origin.RECORDED,
                account=account,
                rule=rule,
                served_on=day,
                description=rng.choice(CONDUCT),
                state=Declaration.State.APPROVED,
                public_until=public,
                created_by_id=verifier,
                created_at=at,
            )
            book.paid(
                declaration,
                [(A.RECORD, verifier, at, ""), (A.APPROVE, verifier, approved, "")],
                by=verifier,
                at=approved,
            )
    book.write()
    settle(Account.objects.filter(scheme__in=[service, civility]))

    # Last year's civility points lapsed on 1 January: one expiry entry per account, as
    # services.expire_account writes it (nothing was spent after the cutoff yet).
    new_year = today.replace(month=1, day=1)
    cutoff = timezone.make_aware(dt.datetime.combine(new_year, dt.time.min))
    before = defaultdict(int)
    last_posted: dict[int, dt.datetime] = {}
    for _declaration, entry in book.entries:
        if entry.posted_at < cutoff:
            before[entry.account_id] += entry.amount
        last_posted[entry.account_id] = max(
            entry.posted_at, last_posted.get(entry.account_id, entry.posted_at)
        )
    Entry.objects.bulk_create(
        [
            Entry(
                account=account,
                amount=-before[account.pk],
                kind=Entry.Kind.EXPIRY,
                idempotency_key=f"expiry:{account.pk}:{new_year.isoformat()}",
                source=f"expiry:{new_year.isoformat()}",
                note=gettext("Points posted before %(date)s lapsed.")
                % {"date": new_year.isoformat()},
                posted_at=cutoff + dt.timedelta(minutes=20),
            )
            for account in resident_accounts
            if before[account.pk] > 0
        ],
        batch_size=2000,
    )
    settle(Account.objects.filter(scheme=civility))

    _rewards(demo, civility, communities, verifier_of, fallback_verifier, last_posted)
    _today(demo, service, volunteer_v2, rules, verifier_of)
    _honours(demo, service)
    wrong = services.check_balances()
    if wrong:
        raise RuntimeError(f"demo points do not add up: {wrong[:5]}")
    demo.counts["points declarations"] = Declaration.objects.count()
    demo.counts["ledger entries"] = Entry.objects.count()


def settle(accounts) -> None:
    """Each balance is the sum of its entries (the cache the services keep)."""
    from django.db.models import Sum

    sums = dict(
        Entry.objects.filter(account__in=accounts)
        .values("account")
        .annotate(s=Sum("amount"))
        .values_list("account", "s")
    )
    changed = []
    for account in accounts:
        account.balance = sums.get(account.pk, 0) or 0
        changed.append(account)
    Account.objects.bulk_update(changed, ["balance"], batch_size=2000)


def _rewards(demo, civility, communities, verifier_of, fallback_verifier, last_posted) -> None:
    """The catalogue of each community, and rewards handed over since each account last
    earned (so no balance was ever below zero), written as services.redeem leaves them."""
    from stations.models import Station

    rng, now = demo.rng, timezone.now()
    stations = {}
    for station in Station.objects.filter(area__in=communities).order_by("pk"):
        stations.setdefault(station.area_id, station)
    catalogue = []
    for community in communities:
        for name, cost, stock in REWARDS:
            catalogue.append(
                Reward(
                    scheme=civility,
                    community=community,
                    name=name,
                    cost=cost,
                    stock=stock,
                    station=stations.get(community.pk),
                )
            )
    Reward.objects.bulk_create(catalogue, batch_size=2000)
    by_community = defaultdict(list)
    for reward in catalogue:
        by_community[reward.community_id].append(reward)
    handed = []
    for account in Account.objects.filter(scheme=civility, balance__gte=10).order_by("pk"):
        if rng.random() < 0.5:
            continue
        affordable = [
            r for r in by_community[account.community_id] if r.cost <= account.balance and r.stock
        ]
        if not affordable:
            continue
        reward = rng.choice(affordable)
        reward.stock -= 1
        since = last_posted.get(account.pk, now - dt.timedelta(days=30))
        at = since + (now - since) * rng.random()
        staff = verifier_of.get(account.community_id, fallback_verifier)
        entry = Entry(
            account=account,
            amount=-reward.cost,
            kind=Entry.Kind.REDEEM,
            idempotency_key=f"demo-redeem:{account.pk}:{reward.pk}",
            source=f"reward:{reward.pk}",
            note=reward.name,
            posted_by_id=staff,
            posted_at=at,
        )
        handed.append(
            (
                entry,
                Redemption(account=account, reward=reward, confirmed_by_id=staff, created_at=at),
            )
        )
    Entry.objects.bulk_create([e for e, _r in handed], batch_size=2000)
    for entry, redemption in handed:
        redemption.entry = entry
    Redemption.objects.bulk_create([r for _e, r in handed], batch_size=2000)
    Reward.objects.bulk_update(catalogue, ["stock"], batch_size=2000)
    settle(Account.objects.filter(scheme=civility))
    demo.counts["rewards handed over"] = len(handed)


def _today(demo, service, volunteer, rules, verifier_of) -> None:
    """Work waiting now in the demo accounts' community: the member's new declarations for
    the convener, a submitted batch for the community, items under publicity."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(
        ["leader", "parttime", "community"], field_name="username"
    )
    leader, parttime, community_user = (
        users.get("leader"),
        users.get("parttime"),
        users.get("community"),
    )
    if not (leader and parttime and community_user):
        return
    member = getattr(parttime, "party_member", None)
    if member is None or member.branch is None:
        return
    branch = member.branch
    leader_member = getattr(leader, "party_member", None)
    if leader_member is not None and leader_member.branch_id == branch.pk:
        # 一肩挑: the demo grid leader is the grid branch's secretary.
        Branch.objects.filter(pk=branch.pk).update(secretary=leader_member)
        branch.refresh_from_db()
    today = timezone.localdate()
    account = services.open_account(scheme=service, member=member)

    def declare(days_ago, hours, rule=volunteer, text=DESCRIPTIONS[0]):
        return services.declare(
            by=parttime,
            client_id=uuid.uuid4(),
            account=account,
            rule=rule,
            served_on=today - dt.timedelta(days=days_ago),
            hours=Decimal(hours) if hours else None,
            description=text,
        )

    # Under publicity: approved two days ago in real time is not possible, so approve now.
    first = [
        declare(9, "2"),
        declare(8, None, rules["meeting"], "参加主题党日：学习二十届四中全会精神"),
    ]
    batch = services.collect(by=leader, branch=branch, declarations=first)
    services.submit_batch(by=leader, batch=batch)
    for item in first:
        services.verify(by=community_user, declaration=item, approve=True)
    # Submitted and waiting for the community.
    waiting = [declare(6, "3", text=DESCRIPTIONS[1]), declare(5, "1.5", text=DESCRIPTIONS[4])]
    batch = services.collect(by=leader, branch=branch, declarations=waiting)
    services.submit_batch(by=leader, batch=batch)
    # New, for the convener to collect.
    declare(2, "2", text=DESCRIPTIONS[2])
    declare(1, "1", text=DESCRIPTIONS[5])


def _honours(demo, service) -> None:
    """A red/black list of branches by points per member, published for the last ended
    half-year by each street's staff; a second list (the minimum) left to publish by hand."""
    from django.contrib.auth import get_user_model

    HonourList.objects.create(
        scheme=service,
        name_en="Communities: in-service members with a verified service",
        name_zh="社区在职党员服务覆盖率",
        unit=HonourList.Unit.COMMUNITY,
        measure=HonourList.Measure.MINIMUM_MET,
        size=3,
    )
    per_member = HonourList.objects.create(
        scheme=service,
        name_en="Branches: service points per member",
        name_zh="支部人均服务积分",
        unit=HonourList.Unit.BRANCH,
        measure=HonourList.Measure.POINTS_PER_MEMBER,
        size=3,
    )
    today = timezone.localdate()
    last_half = containing(containing(today, "half").first - dt.timedelta(days=1), "half")
    User = get_user_model()
    posts = (
        Post.objects.active()
        .filter(role=Role.STREET_STAFF, area__path__startswith=demo.district.path)
        .select_related("area")
        .order_by("area__path", "pk")
    )
    done = set()
    for post in posts:
        if post.area_id in done:
            continue
        done.add(post.area_id)
        services.publish_honours(
            by=User.objects.get(pk=post.user_id),
            honour_list=per_member,
            area=post.area,
            period=last_half,
        )
