"""A year of demo requests in every state, played through the state machine.

Each request's life is drawn here (deterministic for the seed): submitted, accepted,
assigned or claimed, started, resolved, rated, with now and then a return, a suspension, a
reopening after a low rating, a 吹哨 escalation, a rejection or a merged duplicate. The
moves are then taken in time order by tickets/demo_play.py: the last three weeks' through
the service functions themselves (``at`` each step's moment), the older, settled history by
the same rules on paper. So every event starts from the state the previous one left, the
versions count the moves, and deadlines and ``next_check_at`` are the services' own.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from PIL import Image

from core.models import CalendarDay
from grids.demo import Demo
from grids.models import Area, Household, Post
from grids.roles import Level, Role
from tickets import joint, services
from tickets.catalogue import fill_defaults
from tickets.deadlines import due
from tickets.demo_play import Plan, Player
from tickets.models import (
    WISH_MATTER,
    Category,
    Channel,
    Department,
    Event,
    Matter,
    OwnerLevel,
    Status,
)
from tickets.models.workflow import _SHORT_ALPHABET

DESCRIPTIONS = {
    "rubbish": "垃圾桶已满两天没人清运，气味很大",
    "stairwell_clutter": "楼道里堆放纸箱和旧家具，堵住了通道",
    "green_damage": "小区绿化带被人挖了种菜",
    "street_light": "小区东门路灯不亮，晚上很黑",
    "pothole": "门口道路有个大坑，电动车容易摔",
    "public_facility": "健身器材螺丝松动，晃得厉害",
    "lift": "电梯停在三楼不动",
    "thrown_objects": "楼上有人往下扔烟头和果皮",
    "ebike_charging": "有人在楼道里给电动车充电",
    "fire_lane": "消防通道被私家车占用",
    "gas_smell": "楼道里有燃气味",
    "neighbours": "楼上装修噪音和漏水，沟通不了",
    "property_dispute": "物业费上涨，物业不公开账目",
    "elderly_visit": "隔壁独居老人好几天没出门了",
    "meal_bath": "老人行动不便，想申请助餐服务",
    "insurance": "想咨询灵活就业人员医保怎么交",
    "allowance": "家里老人生病，想问能不能申请低保",
    "parking": "小区车位乱停，晚上进不来",
    "noise": "楼下广场舞音响太大声",
    "micro_wish": "希望有人能陪孩子读读书",
}
RESULTS = [
    "已现场处理完毕",
    "已联系相关单位处理",
    "已协调双方达成一致",
    "已上门走访并登记需求",
    "已清理并拍照留存",
]
COMMENTS = {1: "问题还在，没人来看过", 2: "处理得不彻底，过两天又坏了"}
REJECTED = "该事项属于物业服务范围，已告知联系物业"
RETURNED = "不在本人负责的楼栋，请重新派单"
SUSPENDED = "等待业主回家配合"
ESCALATED = "网格内协调不了，提请社区协调"
# No step is planned closer to now than this: a session of tests seeded from one snapshot
# (tests/demo_snapshot.py) still finds every event in the past.
MARGIN = dt.timedelta(minutes=5)
# Requests younger than this are played through the services, and any still open.
LIVE_DAYS = 21


def _code(rng) -> str:
    return "".join(rng.choice(_SHORT_ALPHABET) for _ in range(8))


def _result_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


class Steps:
    """Steps in time order, each at least a minute after the one before; a step that would
    fall in the future is dropped with all after it, and the request stays where it got to
    (a young request is still being handled, as it would be)."""

    def __init__(self, plan: Plan, now: dt.datetime):
        self.plan, self.last, self.until, self.open = plan, plan.submitted_at, now - MARGIN, True

    def then(self, at: dt.datetime, action: str, **kwargs) -> bool:
        at = max(at, self.last + dt.timedelta(minutes=1))
        if not self.open or at > self.until:
            self.open = False
            return False
        self.last = at
        self.plan.steps.append((at, action, kwargs))
        return True

    def after(self, **delta) -> dt.datetime:
        return self.last + dt.timedelta(**delta)


def seed(demo: Demo, password: str) -> None:
    rng = demo.rng
    now = timezone.now()
    fill_defaults(Department, Category, Matter, CalendarDay)  # a flushed test database lost them
    # Matters of the estates' property companies are the estates demo's (estates/demo.py),
    # seeded once the companies exist.
    matters = list(
        Matter.objects.filter(active=True)
        .exclude(owner_level=OwnerLevel.PROPERTY)
        .select_related("department", "category")
    )
    district = demo.district
    grids = list(
        Area.objects.filter(path__startswith=district.path, level=Level.GRID).order_by("path")
    )
    communities = {
        a.path: a
        for a in Area.objects.filter(
            path__startswith=district.path, level__in=[Level.COMMUNITY, Level.VILLAGE]
        )
    }
    handlers: defaultdict[int, list[int]] = defaultdict(list)
    dispatchers: defaultdict[str, list[int]] = defaultdict(list)
    for user_id, area_id, role, path in (
        Post.objects.active()
        .filter(area__path__startswith=district.path)
        .order_by("pk")
        .values_list("user_id", "area_id", "role", "area__path")
    ):
        if role in (Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.GRID_LEADER):
            handlers[area_id].append(user_id)
        if role in (Role.GRID_LEADER, Role.COMMUNITY_STAFF):
            dispatchers[path].append(user_id)
    # One instance per person: the services' permission checks keep what they read on it.
    people = get_user_model().objects.in_bulk(
        {pk for ids in [*handlers.values(), *dispatchers.values()] for pk in ids}
    )
    households = defaultdict(list)
    for pk, grid_id in Household.objects.filter(grid__in=grids).values_list("pk", "grid_id")[
        : len(grids) * 20
    ]:
        households[grid_id].append(pk)
    used_codes: set[str] = set()
    plans = []
    for grid in grids:
        community = communities.get(grid.path[: 3 * Area.steplen])
        leaders = [people[pk] for pk in dispatchers.get(grid.path, [])]
        officers = [people[pk] for pk in dispatchers.get(community.path, [])] if community else []
        cast = {
            "leaders": leaders,
            "officers": officers,
            "staff": leaders + officers,
            "handlers": [people[pk] for pk in handlers.get(grid.pk, [])],
        }
        previous = None
        for _ in range(rng.randint(8, 16)):
            code = _code(rng)
            while code in used_codes:
                code = _code(rng)
            used_codes.add(code)
            previous = _plan(rng, now, grid, code, matters, households[grid.pk], cast, previous)
            plans.append(previous)
    Player(plans, _result_photo(), REJECTED).play()
    _cohandled(demo, password, now)
    demo.counts["requests"] = len(plans)
    demo.counts["request events"] = Event.objects.filter(
        ticket__in=[plan.ticket for plan in plans]
    ).count()
    _points(demo, plans, communities)


def _plan(rng, now, grid, code, matters, households, cast, previous) -> Plan:
    """Draw one request's life, from its report to the state it is in today."""
    age_days = rng.random() ** 1.6 * 365  # more recent than old
    final = _final(rng, age_days)
    if final == Status.MERGED and previous is not None and previous.live is False:
        # A second report of the grid's previous problem, hours later: merged into it.
        matter = previous.submit["matter"]
        submitted = previous.submitted_at + dt.timedelta(hours=rng.uniform(0.5, 12))
    else:
        matter = rng.choice(matters)
        submitted = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600)) - MARGIN
    if matter.code == WISH_MATTER:
        channel = Channel.WISH
    else:
        channel = rng.choices(
            [Channel.QR, Channel.FIELD, Channel.STAFF, Channel.SYSTEM], weights=[40, 30, 20, 7]
        )[0]
    staff, handlers = cast["staff"], cast["handlers"]
    dispatcher = rng.choice(staff) if staff else None
    handler = rng.choice(handlers) if handlers else None
    reporter = {Channel.FIELD: handler, Channel.STAFF: dispatcher}.get(channel)
    plan = Plan(
        grid=grid,
        code=code,
        token=f"demo-{code}-{rng.getrandbits(96):024x}",
        live=True,
        submit={
            "channel": channel,
            "matter": matter,
            "description": DESCRIPTIONS.get(matter.code, matter.name_zh),
            "grid": grid,
            "reporter_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            "reporter_name": rng.choice(["张阿姨", "李师傅", "王先生", "陈女士", ""]),
            "household": Household(pk=rng.choice(households), grid=grid)
            if households and rng.random() < 0.3
            else None,
            "by": reporter,
            "at": submitted,
        },
    )
    _life(rng, Steps(plan, now), final, cast, dispatcher, handler)
    if plan.steps:
        last, kwargs = plan.steps[-1][1:]
        settled = last in ("reject", "merge", "auto_close") or kwargs.get("rating", 0) >= 3
    else:
        settled = False
    plan.live = not settled or now - submitted < dt.timedelta(days=LIVE_DAYS)
    return plan


def _life(rng, steps: Steps, final: str, cast, dispatcher, handler) -> None:
    """The steps from the report to ``final``, each at a plausible moment."""
    plan = steps.plan
    matter, submitted, now = plan.submit["matter"], plan.submitted_at, steps.until + MARGIN
    handlers = cast["handlers"]
    if final == Status.SUBMITTED or dispatcher is None:
        return
    if final == Status.REJECTED:
        steps.then(steps.after(hours=rng.uniform(0.2, 3)), "reject", by=dispatcher, reason=REJECTED)
        return
    # Most responses come in time; some are late, which the dashboards will show.
    response_due = due(submitted, matter.response_limit, matter.response_unit)
    share = rng.uniform(1.1, 2) if rng.random() < 0.1 else rng.uniform(0.05, 0.9)
    steps.then(submitted + (response_due - submitted) * share, "accept", by=dispatcher)
    accepted = steps.last
    if final == Status.MERGED:
        # A duplicate of a request still open in the grid, found when it is accepted.
        steps.then(steps.after(minutes=rng.randint(5, 120)), "merge", by=dispatcher)
        return
    if final == Status.ACCEPTED or handler is None:
        _escalate(rng, steps, cast)
        return
    _take(rng, steps, dispatcher, handler)
    if rng.random() < 0.04 and len(handlers) > 1:
        steps.then(steps.after(minutes=rng.randint(30, 300)), "return", by=handler, reason=RETURNED)
        handler = rng.choice([h for h in handlers if h != handler])
        _take(rng, steps, dispatcher, handler, claim=False)
    if final == Status.ASSIGNED:
        return
    steps.then(steps.after(minutes=rng.randint(10, 600)), "start", by=handler)
    if final == Status.IN_PROGRESS:
        return
    paused = dt.timedelta(0)
    if final == Status.SUSPENDED or rng.random() < 0.05:
        steps.then(steps.after(hours=rng.uniform(1, 4)), "suspend", by=dispatcher, reason=SUSPENDED)
        if final == Status.SUSPENDED:
            return
        suspended = steps.last
        steps.then(steps.after(days=rng.uniform(1, 3)), "resume", by=dispatcher)
        paused = steps.last - suspended
    # Most are done in time; some late, for the on-time figures.
    allowed = due(accepted, matter.completion_limit, matter.completion_unit) - accepted
    share = rng.uniform(0.1, 0.95) if rng.random() < 0.88 else rng.uniform(1.05, 1.8)
    _resolve(rng, steps, handler, matter, accepted + paused + allowed * share)
    if final == Status.RESOLVED:
        return
    resolved = steps.last
    if rng.random() < 0.15 and resolved < now - dt.timedelta(days=8):
        # Never rated: the sweep closes it as satisfied once the review period is over.
        steps.then(resolved + dt.timedelta(days=7, minutes=rng.randint(1, 15)), "auto_close")
        return
    rating = rng.choices([5, 4, 3, 2, 1], weights=[70, 20, 5, 3, 2])[0]
    steps.then(
        steps.after(hours=rng.uniform(1, 100)),
        "rate",
        rating=rating,
        comment=COMMENTS.get(rating, ""),
    )
    if rating <= 2:
        # 1–2 stars reopen it: dispatched again, done again, and rated again.
        _take(rng, steps, dispatcher, handler, claim=False, hours=rng.uniform(0.5, 24))
        steps.then(steps.after(minutes=rng.randint(10, 300)), "start", by=handler)
        _resolve(rng, steps, handler, matter, steps.after(hours=rng.uniform(2, 48)))
        rating = rng.choices([5, 4, 3], weights=[60, 30, 10])[0]
        steps.then(steps.after(hours=rng.uniform(1, 72)), "rate", rating=rating, comment="")


# Co-handling (吹哨报到 with several departments): one open request of the demo grid summoned
# by the street on three departments, whose members can sign in. The lead and one co-handler
# acknowledged in time; the other has not, and the first sweep escalates it to the street.
DEPARTMENT_ACCOUNTS = [
    ("police", "公安分局 民警 张伟", "police"),
    ("housing", "区住建局 科员 黄敏", "housing"),
    ("market", "区市场监管局 科员 林涛", "market"),
]
COHANDLED = "楼下商铺改成群租房，住了十几个人，电线乱拉，还在卖来路不明的食品"
SUMMONED = "群租、消防和食品安全问题交织，社区协调不了，街道吹哨三部门联合处置"
JOINT_PLACE = "一号楼底商"
JOINT_OUTCOME = "民警核查住户身份，住建局责令拆除违规隔断、整改私拉电线；限期三日内清退群租。"


def _cohandled(demo: Demo, password: str, now: dt.datetime) -> None:
    User = get_user_model()
    hashed = make_password(password)
    members = {}
    for username, display, code in DEPARTMENT_ACCOUNTS:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"display_name": display, "password": hashed}
        )
        department = Department.objects.get(code=code)
        department.members.add(user)
        members[code] = (department, user)
        demo.accounts.append((username, display, department.name_zh))
    street = User.objects.filter(username="street").first()
    start = now - dt.timedelta(hours=3)
    # Its own request, filed an hour before the street blew the whistle: picking one of the
    # drawn requests that happened to be open and untouched depended on the day the demo was
    # loaded (on some days none was, and the demo had no co-handled request).
    grid = Area.objects.filter(code__endswith="-S01-C01-G01", level=Level.GRID).first()
    matters = (
        Matter.objects.filter(active=True)
        .exclude(code=WISH_MATTER)
        .exclude(owner_level=OwnerLevel.PROPERTY)
        .order_by("code")
    )
    # Neighbours at odds over a shop turned into a crowded rental: the community could not
    # settle it alone.
    matter = matters.filter(code="neighbours").first() or matters.first()
    if street is None or grid is None or matter is None:
        return
    ticket = services.submit(
        channel=Channel.QR,
        matter=matter,
        description=COHANDLED,
        grid=grid,
        reporter_phone="13912340000",
        reporter_name="王先生",
        at=start - dt.timedelta(hours=1),
    )
    (police, police_user), (housing, housing_user), (market, _market_user) = members.values()
    lead, co_housing, _co_market = services.summon(
        by=street,
        ticket=ticket,
        lead=police,
        co=[housing, market],
        reason=SUMMONED,
        acknowledge_hours=2,
        completion_hours=72,
        at=start,
    )
    services.acknowledge_summons(by=police_user, summons=lead, at=start + dt.timedelta(minutes=40))
    services.acknowledge_summons(
        by=housing_user, summons=co_housing, at=start + dt.timedelta(minutes=75)
    )
    demo.counts["co-handled requests"] = 1
    # The two that acknowledged turned out together: the street records the joint action.
    street_area = joint.record_area(street, ticket.area)
    if street_area is not None:
        held = start + dt.timedelta(hours=2, minutes=30)
        joint.record(
            by=street,
            area=street_area,
            date=timezone.localdate(held),
            place=JOINT_PLACE,
            departments=[police, housing],
            outcome=JOINT_OUTCOME,
            tickets=[ticket],
            now=held,
        )
        demo.counts["joint actions"] = 1


def _final(rng, age_days: float) -> str:
    """Where a request is meant to end: settled when older than three weeks, any state
    when younger (a step that would fall after now leaves it earlier)."""
    if age_days > LIVE_DAYS:
        return rng.choices([Status.CLOSED, Status.REJECTED, Status.MERGED], weights=[90, 6, 4])[0]
    return rng.choice(
        [
            Status.SUBMITTED,
            Status.ACCEPTED,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.SUSPENDED,
            Status.RESOLVED,
            Status.CLOSED,
        ]
    )


def _escalate(rng, steps: Steps, cast) -> None:
    """吹哨 now and then: the grid leader hands it up to the community, whose officer
    acknowledges (报到) it, or has not yet."""
    if not (cast["leaders"] and cast["officers"]) or rng.random() >= 0.3:
        return
    leader = rng.choice(cast["leaders"])
    at = steps.after(hours=rng.uniform(1, 48))
    if steps.then(at, "escalate", by=leader, reason=ESCALATED) and rng.random() < 0.5:
        at = steps.after(hours=rng.uniform(0.5, 6))
        steps.then(at, "acknowledge", by=rng.choice(cast["officers"]))


def _take(rng, steps: Steps, dispatcher, handler, *, claim=True, hours=None) -> None:
    """派单 by a dispatcher, or 接单 from the open pool by the handler."""
    at = steps.after(hours=hours) if hours else steps.after(minutes=rng.randint(5, 240))
    if claim and rng.random() < 0.3:
        steps.then(at, "claim", by=handler)
    else:
        steps.then(at, "assign", by=dispatcher, assignee=handler)


def _resolve(rng, steps: Steps, handler, matter, at: dt.datetime) -> None:
    at = max(at, steps.after(minutes=rng.randint(30, 240)))
    steps.then(at, "resolve", by=handler, result=rng.choice(RESULTS), photo=matter.photo_required)


def _points(demo: Demo, plans: list[Plan], communities: dict[str, Area]) -> None:
    """Points proposed for requests closed with 4–5 stars, by the real flow's
    ``propose_points`` (which ``services.rate`` calls for the requests played live), dated
    when their request closed. Those older than a fortnight were verified then, written in
    bulk as the services leave them (the ledger refuses to be back-dated by an UPDATE); the
    last fortnight's still wait for the community."""
    from points import services as points_services
    from points.demo import community_verifiers, settle
    from points.models import Account, Declaration, DeclarationStep, Entry

    rule = points_services.ticket_rule()
    if rule is None:
        return
    rng, now = demo.rng, timezone.now()
    closed = {f"ticket:{p.ticket.pk}": p.ticket for p in plans if p.ticket.status == Status.CLOSED}
    for plan in plans:
        # As services.rate does after 4–5 stars, for the requests played on paper.
        if not plan.live and plan.ticket.status == Status.CLOSED and (plan.ticket.rating or 0) >= 4:
            services.propose_points(ticket=plan.ticket)
    proposals = list(
        Declaration.objects.filter(source_key__in=list(closed))
        .select_related("account__scheme", "rule")
        .order_by("pk")
    )
    verifier_of = community_verifiers(communities.values())
    approvals, entries, approved, touched = [], [], [], set()
    for declaration in proposals:
        ticket = closed[declaration.source_key]
        declaration.created_at = ticket.closed_at
        community = communities.get(ticket.area.path[: 3 * Area.steplen])
        if ticket.closed_at > now - dt.timedelta(days=14) or community is None:
            continue
        at = ticket.closed_at + dt.timedelta(days=rng.randint(2, 6))
        verifier = verifier_of.get(community.pk, declaration.created_by_id)
        declaration.state = Declaration.State.APPROVED
        declaration.public_until = at + dt.timedelta(days=declaration.account.scheme.publicity_days)
        approved.append(declaration)
        approvals.append(
            DeclarationStep(
                declaration=declaration,
                action=DeclarationStep.Action.APPROVE,
                actor_id=verifier,
                at=at,
            )
        )
        entries.append(
            Entry(
                account=declaration.account,
                amount=declaration.rule.amount_for(declaration.hours),
                kind=Entry.Kind.EARN,
                rule=declaration.rule,
                rule_version=declaration.rule.version,
                posted_by_id=verifier,
                posted_at=at,
                earned_on=declaration.served_on,
                counts_from=declaration.public_until,
                idempotency_key=f"declaration:{declaration.pk}",
                source=f"declaration:{declaration.pk}",
            )
        )
        touched.add(declaration.account_id)
    Declaration.objects.bulk_update(proposals, ["created_at"], batch_size=2000)
    Declaration.objects.bulk_update(approved, ["state", "public_until"], batch_size=2000)
    for declaration in proposals:
        DeclarationStep.objects.filter(
            declaration=declaration, action=DeclarationStep.Action.PROPOSE
        ).update(at=declaration.created_at)
    DeclarationStep.objects.bulk_create(approvals, batch_size=5000)
    Entry.objects.bulk_create(entries, batch_size=5000)
    settle(Account.objects.filter(pk__in=touched))
    demo.counts["points proposals for requests"] = len(proposals)
