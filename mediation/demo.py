"""The demo's year of mediation (矛盾纠纷调解) in 青湖区's first community: about ninety
cases over the last twelve months, most closed with an agreement and followed up, some
referred, a few open, two high-risk; the studios 百家微解工作室 (community) and 初心茶社
(street); and a few households whose latest visit this month found a dispute."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from grids.demo import Demo
from grids.models import Area, Household
from mediation.models import (
    FOLLOW_UP_DAYS,
    Case,
    DisputeType,
    Outcome,
    Party,
    Risk,
    Status,
    Step,
    Studio,
)
from mediation.services import report_up
from visits.models import Visit

COMMUNITY = "QH-S01-C01"
STREET = "QH-S01"

SUMMARIES = {
    DisputeType.NEIGHBOURS: [
        "楼上住户夜间噪音扰民，楼下多次敲门沟通无果，双方发生口角。",
        "邻居在楼道堆放杂物、电动车占用消防通道，引发争执。",
        "楼上卫生间渗水导致楼下天花板发霉，双方就维修费用分担有分歧。",
        "邻居家犬只未拴绳，惊吓老人，双方争吵。",
        "一楼住户私自圈占绿地种菜，其他住户不满。",
    ],
    DisputeType.FAMILY: [
        "老人赡养费分摊问题，兄妹三人意见不一。",
        "夫妻因家务和子女教育问题长期争吵，女方来社区求助。",
        "父母去世后房屋继承问题，兄弟之间产生矛盾。",
        "婆媳矛盾激化，老人要求搬出另住。",
    ],
    DisputeType.PROPERTY: [
        "业主以电梯长期故障为由拒交物业费，与物业公司发生争执。",
        "地下车库车位被占用，业主与物业管理处协商未果。",
        "小区公共收益使用不透明，业主代表要求物业公示。",
        "装修噪音及建筑垃圾清运问题，业主与物业发生纠纷。",
    ],
    DisputeType.LABOUR: [
        "装修工人被拖欠工资两个月，向社区反映。",
        "餐馆员工离职后未结清工资，双方对金额有争议。",
        "保洁员工作中受伤，与用工方就赔偿问题协商。",
    ],
    DisputeType.LAND: [
        "两户村民因宅基地边界划分发生争执。",
        "承包地流转租金支付问题，村民与承包方意见不一。",
    ],
    DisputeType.OTHER: [
        "小区商铺油烟排放影响居民生活，居民与店主发生争执。",
        "共享单车乱停放堵塞单元门口，居民与运维人员争吵。",
    ],
}
STEP_NOTES = {
    Step.Kind.TALK: ["分别与双方谈话，了解诉求。", "电话回访当事人，情绪已平稳。"],
    Step.Kind.JOINT: [
        "组织双方面对面协商，初步达成一致意见。",
        "在调解室召开协调会，双方各让一步。",
    ],
    Step.Kind.SITE: ["到现场查看情况并拍照留存。", "会同物业到现场核实。"],
    Step.Kind.OTHER: ["邀请法律顾问提供咨询意见。"],
}
AGREEMENTS = [
    "双方自愿达成如下协议：一、{a}向{b}赔礼道歉；二、今后互相体谅，和睦相处；三、本协议自签字之日起生效。",
    "经调解，双方同意：维修费用由{a}承担六成、{b}承担四成，于十五日内维修完毕。",
    "双方约定：{a}于本月底前一次性支付相关款项，{b}不再追究其他责任。",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "伟",
    "芳",
    "军",
    "丽华",
    "明",
    "静",
    "磊",
    "红梅",
    "德胜",
    "小燕",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"138{rng.randint(10000000, 99999999)}"


def seed(demo: Demo, password: str) -> None:
    community = Area.objects.filter(code=COMMUNITY).first()
    street = Area.objects.filter(code=STREET).first()
    if community is None or street is None:
        return
    rng = random.Random(f"{demo.scale}-mediation")  # noqa: S311 - demo data
    studios = [
        Studio.objects.create(name="百家微解工作室", area=community),
        Studio.objects.create(name="初心茶社", area=street),
    ]
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["worker", "neighbour", "community", "street", "leader"]
        )
    }
    worker = users.get("worker") or next(iter(users.values()), None)
    if worker is None:
        return
    grids = list(
        Area.objects.filter(path__startswith=community.path, level="grid").order_by("path")
    )
    households: dict[int, list[Household]] = {g.pk: [] for g in grids}
    for household in Household.objects.filter(grid__in=grids).order_by("pk")[:2000]:
        households[household.grid_id].append(household)
    now = timezone.now()
    today = timezone.localdate()
    types = [t for t, _l in DisputeType.choices]
    weights = [30, 20, 22, 10, 6, 12]
    cases, parties, steps = [], [], []
    count = 90
    for i in range(count):
        grid = grids[i % len(grids)]
        mine = grid == grids[0]
        days_ago = int(365 * (1 - i / count)) + rng.randint(0, 3)
        opened = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
        type_ = rng.choices(types, weights)[0]
        homes = households[grid.pk]
        household = rng.choice(homes) if homes and rng.random() < 0.7 else None
        mediator = worker if mine else users.get("neighbour", worker)
        studio = None
        if rng.random() < 0.3:
            studio = studios[0] if rng.random() < 0.7 else studios[1]
            mediator = (
                users.get("community", worker)
                if studio is studios[0]
                else users.get("street", worker)
            )
        case = Case(
            grid=grid,
            household=household,
            type=type_,
            risk=Risk.LOW if rng.random() < 0.7 else Risk.MEDIUM,
            summary=rng.choice(SUMMARIES[type_]),
            opened_at=opened,
            opened_by=mediator,
            mediator=mediator,
            studio=studio,
        )
        a, b = _name(rng), _name(rng)
        case._parties = [("applicant", a), ("respondent", b)]  # kept for the bulk insert below
        if days_ago > 35 or rng.random() < 0.25:
            closed = opened + dt.timedelta(days=rng.randint(2, 18))
            roll = rng.random()
            outcome = (
                Outcome.AGREEMENT
                if roll < 0.78
                else Outcome.NO_AGREEMENT
                if roll < 0.88
                else Outcome.COURT
                if roll < 0.95
                else Outcome.POLICE
            )
            case.status = Status.CLOSED
            case.outcome = outcome
            case.closed_at = closed
            case.closed_by = mediator
            case.follow_up_due = timezone.localdate(closed) + dt.timedelta(days=FOLLOW_UP_DAYS)
            if outcome == Outcome.AGREEMENT:
                case.agreement_text = rng.choice(AGREEMENTS).format(a=a, b=b)
            elif outcome == Outcome.COURT:
                case.referred_to = "青湖区人民法院诉调对接中心"
            elif outcome == Outcome.POLICE:
                case.referred_to = "青湖派出所"
            # Most follow-ups were made; a few recent ones are overdue.
            if case.follow_up_due < today and (days_ago > 75 or rng.random() < 0.6):
                case.followed_up_at = closed + dt.timedelta(days=FOLLOW_UP_DAYS - rng.randint(0, 5))
                case.follow_up_notes = "回访当事人，协议履行良好，双方关系缓和。"
        else:
            case.status = Status.MEDIATING if rng.random() < 0.7 else Status.OPEN
        cases.append(case)
    # Two high-risk disputes, open now: reported up when they were recorded.
    for case in [c for c in cases if c.status != Status.CLOSED][:2]:
        case.risk = Risk.HIGH
    Case.objects.bulk_create(cases)
    for case in cases:
        for role, name in case._parties:
            parties.append(Party(case=case, role=role, name=name, phone=_phone(rng)))
        if case.status == Status.OPEN:
            continue
        start = timezone.localdate(case.opened_at)
        end = timezone.localdate(case.closed_at) if case.closed_at else today
        kinds = [Step.Kind.TALK, Step.Kind.SITE, Step.Kind.JOINT][: rng.randint(1, 3)]
        for n, kind in enumerate(kinds):
            day = min(start + dt.timedelta(days=n * 2), end)
            steps.append(
                Step(
                    case=case,
                    date=day,
                    kind=kind,
                    notes=rng.choice(STEP_NOTES[kind]),
                    by=case.mediator,
                )
            )
    Party.objects.bulk_create(parties)
    # The high-risk ones were reported up when they were recorded: the officers' bells show it.
    for case in cases:
        if case.risk == Risk.HIGH:
            report_up(case=case, by=case.opened_by)
    Step.objects.bulk_create(steps)
    # Households whose latest visit this month found a dispute: the screening list's second
    # part. The visits demo keeps one visit per household (its last): mark some of those.
    month_start = today.replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(month_start, dt.time.min))
    marked = []
    for grid in grids[:4]:
        marked += list(
            Visit.objects.filter(grid=grid, household__isnull=False, visited_at__gte=start)
            .order_by("pk")
            .values_list("pk", flat=True)[:2]
        )
    Visit.objects.filter(pk__in=marked).update(
        tags=["dispute"], findings="邻里因停车位问题有争执，需持续关注。"
    )
    demo.counts["mediation cases"] = len(cases)
