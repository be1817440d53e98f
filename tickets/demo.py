"""A year of demo requests in every state, built in bulk (deterministic for the seed)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from core.models import CalendarDay
from grids.demo import Demo
from grids.models import Area, Household, Post
from grids.roles import Level, Role
from tickets.catalogue import fill_defaults
from tickets.deadlines import due
from tickets.models import (
    Category,
    Channel,
    Department,
    Event,
    Matter,
    OwnerLevel,
    Status,
    Ticket,
)
from tickets.models.workflow import _SHORT_ALPHABET
from tickets.timeline import schedule

A = Event.Action
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


def _code(rng) -> str:
    return "".join(rng.choice(_SHORT_ALPHABET) for _ in range(8))


def seed(demo: Demo, password: str) -> None:
    rng = demo.rng
    now = timezone.now()
    fill_defaults(Department, Category, Matter, CalendarDay)  # a flushed test database lost them
    matters = list(Matter.objects.filter(active=True).select_related("department"))
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
    dispatchers: defaultdict[int, list[int]] = defaultdict(list)
    for user_id, area_id, role, path in (
        Post.objects.active()
        .filter(area__path__startswith=district.path)
        .values_list("user_id", "area_id", "role", "area__path")
    ):
        if role in (Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.GRID_LEADER):
            handlers[area_id].append(user_id)
        if role in (Role.GRID_LEADER, Role.COMMUNITY_STAFF):
            dispatchers[path].append(user_id)
    households = defaultdict(list)
    for pk, grid_id in Household.objects.filter(grid__in=grids).values_list("pk", "grid_id")[
        : len(grids) * 20
    ]:
        households[grid_id].append(pk)
    used_codes: set[str] = set()
    tickets, plans = [], []
    for grid in grids:
        community = communities.get(grid.path[: 3 * Area.steplen])
        staff = (
            dispatchers.get(grid.path, []) + dispatchers.get(community.path, [])
            if community
            else []
        )
        for _ in range(rng.randint(8, 16)):
            matter = rng.choice(matters)
            age_days = rng.random() ** 1.6 * 365  # more recent than old
            submitted = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600))
            code = _code(rng)
            while code in used_codes:
                code = _code(rng)
            used_codes.add(code)
            if age_days > 21:
                final = rng.choices(
                    [Status.CLOSED, Status.REJECTED, Status.MERGED], weights=[90, 6, 4]
                )[0]
            else:
                final = rng.choice(
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
            department = matter.department if matter.owner_level == OwnerLevel.DEPARTMENT else None
            ticket = Ticket(
                short_code=code,
                tracking_token=f"demo-{code}-{rng.getrandbits(96):024x}",
                channel=rng.choices(list(Channel), weights=[40, 30, 20, 3, 7])[0],
                matter=matter,
                description=DESCRIPTIONS.get(matter.code, matter.name_zh),
                area=grid,
                department=department,
                submitted_at=submitted,
                reporter_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                reporter_name=rng.choice(["张阿姨", "李师傅", "王先生", "陈女士", ""]),
                household_id=rng.choice(households[grid.pk])
                if households[grid.pk] and rng.random() < 0.3
                else None,
                response_due=due(submitted, matter.response_limit, matter.response_unit),
                status=final,
            )
            tickets.append(ticket)
            plans.append((ticket, staff, handlers.get(grid.pk, []), final))
    events = []
    for ticket, staff, people, final in plans:
        dispatcher = rng.choice(staff) if staff else None
        handler = rng.choice(people) if people else None
        t = ticket.submitted_at
        events.append(Event(ticket=ticket, action=A.SUBMIT, at=t, to_status=Status.SUBMITTED))
        if final == Status.SUBMITTED:
            continue
        if final == Status.REJECTED:
            ticket.public_reason = "该事项属于物业服务范围，已告知联系物业"
            ticket.closed_at = t + dt.timedelta(hours=rng.uniform(0.2, 3))
            events.append(
                Event(
                    ticket=ticket,
                    action=A.REJECT,
                    at=ticket.closed_at,
                    actor_id=dispatcher,
                    from_status=Status.SUBMITTED,
                    to_status=Status.REJECTED,
                    note=ticket.public_reason,
                )
            )
            continue
        # Most responses come in time; some are late, which the dashboards will show.
        late = rng.random() < 0.1
        response_hours = (ticket.response_due - t).total_seconds() / 3600
        accepted = t + dt.timedelta(
            hours=response_hours * (rng.uniform(1.1, 2) if late else rng.uniform(0.05, 0.9))
        )
        ticket.accepted_at = min(accepted, timezone.now())
        ticket.completion_due = due(
            ticket.accepted_at, ticket.matter.completion_limit, ticket.matter.completion_unit
        )
        events.append(
            Event(
                ticket=ticket,
                action=A.ACCEPT,
                at=ticket.accepted_at,
                actor_id=dispatcher,
                from_status=Status.SUBMITTED,
                to_status=Status.ACCEPTED,
            )
        )
        if final == Status.MERGED:
            ticket.closed_at = ticket.accepted_at
            ticket.public_reason = "与同一问题的其他工单合并处理"
            events.append(
                Event(
                    ticket=ticket,
                    action=A.MERGE,
                    at=ticket.closed_at,
                    actor_id=dispatcher,
                    from_status=Status.ACCEPTED,
                    to_status=Status.MERGED,
                    note=ticket.public_reason,
                )
            )
            continue
        if final == Status.ACCEPTED:
            if rng.random() < 0.3:
                ticket.escalation_level = 1
            continue
        assigned_at = ticket.accepted_at + dt.timedelta(minutes=rng.randint(5, 240))
        if ticket.department_id:
            events.append(
                Event(
                    ticket=ticket,
                    action=A.ASSIGN,
                    at=assigned_at,
                    actor_id=dispatcher,
                    from_status=Status.ACCEPTED,
                    to_status=Status.ASSIGNED,
                    note=ticket.department.name_zh,
                )
            )
        else:
            ticket.assignee_id = handler
            action = A.CLAIM if rng.random() < 0.3 else A.ASSIGN
            events.append(
                Event(
                    ticket=ticket,
                    action=action,
                    at=assigned_at,
                    actor_id=handler if action == A.CLAIM else dispatcher,
                    from_status=Status.ACCEPTED,
                    to_status=Status.ASSIGNED,
                )
            )
        if final == Status.ASSIGNED:
            continue
        started = assigned_at + dt.timedelta(minutes=rng.randint(10, 600))
        events.append(
            Event(
                ticket=ticket,
                action=A.START,
                at=started,
                actor_id=handler,
                from_status=Status.ASSIGNED,
                to_status=Status.IN_PROGRESS,
            )
        )
        if final == Status.IN_PROGRESS:
            continue
        if final == Status.SUSPENDED:
            ticket.status_before_suspension = Status.IN_PROGRESS
            ticket.suspended_at = started + dt.timedelta(hours=2)
            events.append(
                Event(
                    ticket=ticket,
                    action=A.SUSPEND,
                    at=ticket.suspended_at,
                    actor_id=dispatcher,
                    from_status=Status.IN_PROGRESS,
                    to_status=Status.SUSPENDED,
                    note="等待业主回家配合",
                )
            )
            continue
        allowed = (ticket.completion_due - ticket.accepted_at).total_seconds()
        on_time = rng.random() < 0.88
        resolved = ticket.accepted_at + dt.timedelta(
            seconds=allowed * (rng.uniform(0.1, 0.95) if on_time else rng.uniform(1.05, 1.8))
        )
        ticket.resolved_at = min(resolved, timezone.now())
        events.append(
            Event(
                ticket=ticket,
                action=A.RESOLVE,
                at=ticket.resolved_at,
                actor_id=handler,
                from_status=Status.IN_PROGRESS,
                to_status=Status.RESOLVED,
                note=rng.choice(RESULTS),
            )
        )
        if final == Status.RESOLVED:
            continue
        ticket.rating = rng.choices([5, 4, 3, 2, 1], weights=[70, 20, 5, 3, 2])[0]
        ticket.closed_at = min(ticket.resolved_at + dt.timedelta(hours=rng.uniform(1, 100)), now)
        if rng.random() < 0.15 and ticket.resolved_at < now - dt.timedelta(days=7):
            ticket.rating, ticket.auto_closed = None, True
            ticket.closed_at = ticket.resolved_at + dt.timedelta(days=7)
            events.append(
                Event(
                    ticket=ticket,
                    action=A.CLOSE,
                    at=ticket.closed_at,
                    from_status=Status.RESOLVED,
                    to_status=Status.CLOSED,
                    note="7天内未评价，默认满意",
                )
            )
        else:
            events.append(
                Event(
                    ticket=ticket,
                    action=A.RATE,
                    at=ticket.closed_at,
                    from_status=Status.RESOLVED,
                    to_status=Status.CLOSED,
                    note=f"{ticket.rating}星",
                )
            )
    for ticket in tickets:
        # The deadline sweep starts from each request's own timeline: on its first run it
        # catches up what is past (reminders, overdue notices, the ladder), as after an outage.
        schedule(ticket)
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    Event.objects.bulk_create(events, batch_size=5000)
    demo.counts["requests"] = len(tickets)
    _points(demo, tickets, communities)


def _points(demo: Demo, tickets: list[Ticket], communities: dict[str, Area]) -> None:
    """Points proposed for requests closed with 4–5 stars: older ones verified, written in
    bulk as the services leave them; the last fortnight's through the services, waiting."""
    import uuid

    from django.contrib.auth import get_user_model

    from points import services as points_services
    from points.demo import Book, community_verifiers, settle
    from points.models import Declaration, DeclarationStep

    rule = points_services.ticket_rule()
    if rule is None:
        return
    rng, now = demo.rng, timezone.now()
    earning = [
        t
        for t in tickets
        if t.status == Status.CLOSED
        and (t.rating or 0) >= 4
        and t.assignee_id
        and t.matter.earns_points
    ]
    users = get_user_model().objects.in_bulk({t.assignee_id for t in earning})
    verifier_of = community_verifiers(communities.values())
    book, touched = Book(), set()
    for ticket in earning:
        community = communities.get(ticket.area.path[: 3 * Area.steplen])
        if community is None:
            continue
        account = points_services.account_for_user(
            scheme=rule.scheme, user=users[ticket.assignee_id], community=community
        )
        served_on = timezone.localtime(ticket.resolved_at).date()
        if ticket.closed_at > now - dt.timedelta(days=14):
            points_services.propose(
                by=users[ticket.assignee_id],
                account=account,
                rule=rule,
                served_on=served_on,
                description=f"{ticket.short_code} · {ticket.matter.name_zh}",
                source_key=f"ticket:{ticket.pk}",
            )
            continue
        approved = ticket.closed_at + dt.timedelta(days=rng.randint(2, 6))
        public_until = approved + dt.timedelta(days=rule.scheme.publicity_days)
        declaration = Declaration(
            client_id=uuid.UUID(int=rng.getrandbits(128)),
            origin=Declaration.Origin.TICKET,
            source_key=f"ticket:{ticket.pk}",
            account=account,
            rule=rule,
            served_on=served_on,
            description=f"{ticket.short_code} · {ticket.matter.name_zh}",
            state=Declaration.State.APPROVED,
            public_until=public_until,
            created_by_id=ticket.assignee_id,
            created_at=ticket.closed_at,
        )
        verifier = verifier_of.get(community.pk, ticket.assignee_id)
        book.paid(
            declaration,
            [
                (DeclarationStep.Action.PROPOSE, ticket.assignee_id, ticket.closed_at, ""),
                (DeclarationStep.Action.APPROVE, verifier, approved, ""),
            ],
            by=verifier,
            at=approved,
        )
        touched.add(account.pk)
    book.write()
    from points.models import Account

    settle(Account.objects.filter(pk__in=touched))
    demo.counts["points proposals for requests"] = len(earning)
