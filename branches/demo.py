"""Demo party branches for the demo district: most grids with a branch of their own, a few
joint branches, a few grids without one; members linked to households; 双报到 records;
co-building units and joint meetings. Deterministic from the demo's random generator."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils import timezone

from branches.models import (
    COMMUNITY_LEVELS,
    Branch,
    BranchGrid,
    CoBuildingUnit,
    HouseholdLink,
    JointMeeting,
    MeetingDecision,
    MemberKind,
    PartyGroup,
    PartyMember,
    Registration,
    ServiceClaim,
    ServicePost,
    ServiceRecord,
    UnitKind,
)
from grids.demo import GIVEN, SURNAMES, Demo
from grids.models import Area, Household, Post
from grids.roles import Level, Role

WORK_UNITS = [
    "区人民法院",
    "区税务局",
    "区第一人民医院",
    "区实验小学",
    "国网供电公司",
    "区城管局",
    "区市场监管局",
    "常州银行支行",
    "区教育局",
    "区卫健委",
    "中天钢铁集团",
    "区人社局",
]
UNITS = [
    ("区人民法院", UnitKind.GOVERNMENT, "法律进社区，每月一次法律咨询"),
    ("区第一人民医院", UnitKind.HOSPITAL, "每季度义诊，家庭医生签约"),
    ("区实验小学", UnitKind.SCHOOL, "四点半课堂志愿辅导"),
    ("国网供电公司", UnitKind.ENTERPRISE, "老旧小区线路安全检查"),
    ("区市场监管局", UnitKind.GOVERNMENT, "食品安全宣传，农贸市场巡查"),
    ("爱心公益协会", UnitKind.SOCIAL, "独居老人结对关爱"),
]
MEETING_TOPICS = [
    (
        "老旧小区改造协调会",
        "加装电梯意见征集；停车位规划",
        ["成立加装电梯协调小组", "下月底前完成停车位方案公示"],
    ),
    (
        "文明城市创建推进会",
        "背街小巷环境整治；垃圾分类督导",
        ["共建单位认领背街小巷", "每周六开展垃圾分类督导"],
    ),
    (
        "平安社区联席会议",
        "电动车进楼道治理；消防通道清理",
        ["本月完成消防通道清理", "增设电动车集中充电点"],
    ),
]


def _person_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _mobile(rng) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"


def seed(demo: Demo, password: str) -> None:
    rng = demo.rng
    today = timezone.localdate()
    district = demo.district
    users = get_user_model().objects.in_bulk(field_name="pk")
    areas = list(Area.objects.filter(path__startswith=district.path).order_by("path"))
    communities = [a for a in areas if a.level in COMMUNITY_LEVELS]
    grids_of: defaultdict[str, list[Area]] = defaultdict(list)
    micro_of: defaultdict[str, list[Area]] = defaultdict(list)
    for area in areas:
        if area.level == Level.GRID:
            grids_of[area.path[: -Area.steplen]].append(area)
        elif area.level == Level.MICRO_GRID:
            micro_of[area.path[: -Area.steplen]].append(area)
    households_of: defaultdict[int, list[int]] = defaultdict(list)
    for household_id, grid_id in (
        Household.objects.filter(grid__path__startswith=district.path)
        .values_list("pk", "grid_id")
        .order_by("pk")
    ):
        households_of[grid_id].append(household_id)
    posts: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
    for user_id, area_id, role in (
        Post.objects.active()
        .filter(area__path__startswith=district.path)
        .values_list("user_id", "area_id", "role")
    ):
        posts[(area_id, role)].append(user_id)

    # Branches: one per grid, the first two grids of every third community jointly,
    # and the last grid of every seventh community left without a branch.
    plans = []  # (community, code, name, grids)
    for index, community in enumerate(communities):
        grids = grids_of[community.path]
        if index % 7 == 6 and len(grids) > 1:
            grids = grids[:-1]
        groups = (
            [grids[:2], *[[g] for g in grids[2:]]]
            if index % 3 == 0 and len(grids) > 2
            else [[g] for g in grids]
        )
        for number, covered in enumerate(groups, start=1):
            joint = len(covered) > 1
            name = f"{community.name}联合党支部" if joint else f"{covered[0].name}党支部"
            if joint and number > 1:
                name = f"{community.name}第{number}联合党支部"
            plans.append((community, f"{community.code}-B{number:02d}", name, covered))
    branches = Branch.objects.bulk_create(
        [
            Branch(
                community=c,
                code=code,
                name=name,
                founded_on=today - dt.timedelta(days=rng.randint(200, 3000)),
            )
            for c, code, name, _grids in plans
        ],
        batch_size=1000,
    )
    BranchGrid.objects.bulk_create(
        [
            BranchGrid(branch=branch, grid=grid)
            for branch, plan in zip(branches, plans, strict=True)
            for grid in plan[3]
        ],
        batch_size=2000,
    )

    # Members: the grid leader and part-time workers of the branch's grids hold accounts;
    # resident and retired members do not. One member central household per branch.
    members: list[PartyMember] = []
    secretary_of: dict[int, PartyMember] = {}
    by_branch: defaultdict[int, list[PartyMember]] = defaultdict(list)
    for branch, (community, _code, _name, covered) in zip(branches, plans, strict=True):
        branch_members = []
        for grid in covered:
            for user_id in (
                posts[(grid.pk, Role.GRID_LEADER)] + posts[(grid.pk, Role.PART_TIME_WORKER)]
            ):
                user = users[user_id]
                branch_members.append(
                    PartyMember(
                        name=user.display_name or user.username,
                        phone=_mobile(rng),
                        kind=MemberKind.RESIDENT,
                        community=community,
                        branch=branch,
                        user=user,
                    )
                )
        for _ in range(rng.randint(5, 10)):
            branch_members.append(
                PartyMember(
                    name=_person_name(rng),
                    phone=_mobile(rng),
                    community=community,
                    branch=branch,
                    kind=rng.choices(
                        [MemberKind.RESIDENT, MemberKind.RETIRED, MemberKind.MOBILE],
                        weights=[6, 3, 1],
                    )[0],
                )
            )
        branch_members[-1].is_central_household = True
        leaders = [
            m
            for m in branch_members
            if m.user_id in {uid for g in covered for uid in posts[(g.pk, Role.GRID_LEADER)]}
        ]
        # 一肩挑 for most branches; the rest have a different secretary.
        secretary_of[branch.pk] = (
            leaders[0] if leaders and rng.random() < 0.85 else branch_members[-2]
        )
        by_branch[branch.pk] = branch_members
        members.extend(branch_members)
    PartyMember.objects.bulk_create(members, batch_size=2000)
    for branch in branches:
        branch.secretary = secretary_of[branch.pk]
    Branch.objects.bulk_update(branches, ["secretary"], batch_size=1000)

    # Party groups tied to micro-grids, and 党员联户: most households get a member.
    groups = []
    for branch, plan in zip(branches, plans, strict=True):
        micro = [m for grid in plan[3] for m in micro_of[grid.path]]
        if micro:
            groups.append(
                (
                    PartyGroup(branch=branch, name="第一党小组", leader=by_branch[branch.pk][0]),
                    micro[: len(micro) // 2 or 1],
                )
            )
            groups.append(
                (
                    PartyGroup(branch=branch, name="第二党小组", leader=by_branch[branch.pk][1]),
                    micro[len(micro) // 2 :],
                )
            )
    PartyGroup.objects.bulk_create([g for g, _m in groups], batch_size=1000)
    PartyGroup.micro_grids.through.objects.bulk_create(
        [
            PartyGroup.micro_grids.through(partygroup_id=g.pk, area_id=m.pk)
            for g, micro in groups
            for m in micro
        ],
        batch_size=5000,
    )
    links = []
    for branch, plan in zip(branches, plans, strict=True):
        pool = [h for grid in plan[3] for h in households_of[grid.pk]]
        rng.shuffle(pool)
        pool = pool[: int(len(pool) * rng.uniform(0.7, 0.95))]
        for member in by_branch[branch.pk]:
            low, high = member.link_limits
            take = rng.randint(low - 1 if rng.random() < 0.15 else low, high)
            chosen, pool = pool[:take], pool[take:]
            links.extend(HouseholdLink(member=member, household_id=h) for h in chosen)
    HouseholdLink.objects.bulk_create(links, batch_size=5000)

    # 双报到: in-service members registered where they live.
    in_service, registrations, claims, services = [], [], [], []
    for community in communities:
        for _ in range(rng.randint(6, 12)):
            in_service.append(
                PartyMember(
                    name=_person_name(rng),
                    phone=_mobile(rng),
                    kind=MemberKind.IN_SERVICE,
                    work_unit=rng.choice(WORK_UNITS),
                    community=community,
                )
            )
    PartyMember.objects.bulk_create(in_service, batch_size=2000)
    for member in in_service:
        status = rng.choices(list(Registration.Status), weights=[2, 7, 1])[0]
        submitted = timezone.now() - dt.timedelta(days=rng.randint(1, 600))
        registrations.append(
            Registration(
                member=member,
                community=member.community,
                status=status,
                channel=rng.choice(list(Registration.Channel)),
                submitted_at=submitted,
                decided_at=None
                if status == Registration.Status.PENDING
                else submitted + dt.timedelta(days=2),
                reason="所填单位信息有误，请核实后重新报到"
                if status == Registration.Status.REJECTED
                else "",
            )
        )
    Registration.objects.bulk_create(registrations, batch_size=2000)
    for registration in registrations:
        posts_claimed = rng.sample(list(ServicePost), rng.randint(1, 2))
        claims.extend(ServiceClaim(registration=registration, post=p) for p in posts_claimed)
        if registration.status == Registration.Status.CONFIRMED and rng.random() < 0.8:
            for _ in range(rng.randint(1, 3)):
                services.append(
                    ServiceRecord(
                        member=registration.member,
                        community=registration.community,
                        served_on=today
                        - dt.timedelta(days=rng.randint(0, today.timetuple().tm_yday - 1)),
                        post=posts_claimed[0],
                        hours=rng.choice([1, 2, 3, 4]),
                        description=rng.choice(
                            [
                                "垃圾分类督导",
                                "法律咨询",
                                "助老送餐",
                                "平安巡防",
                                "四点半课堂辅导",
                                "文明宣传",
                            ]
                        ),
                    )
                )
    ServiceClaim.objects.bulk_create(claims, batch_size=5000)
    ServiceRecord.objects.bulk_create(services, batch_size=5000)

    # Co-building units and joint meetings.
    units, meetings = [], []
    for community in communities:
        for name, kind, commitment in rng.sample(UNITS, rng.randint(2, 3)):
            signed = today - dt.timedelta(days=rng.randint(30, 700))
            units.append(
                CoBuildingUnit(
                    community=community,
                    name=name,
                    kind=kind,
                    contact_name=_person_name(rng),
                    contact_phone=_mobile(rng),
                    agreement_signed_on=signed,
                    agreement_ends_on=signed + dt.timedelta(days=3 * 365),
                    commitments=commitment,
                )
            )
    CoBuildingUnit.objects.bulk_create(units, batch_size=2000)
    units_of = defaultdict(list)
    for unit in units:
        units_of[unit.community_id].append(unit)
    decisions, attending = [], []
    for community in communities:
        for title, topics, decided in rng.sample(MEETING_TOPICS, rng.randint(1, 2)):
            meeting = JointMeeting(
                community=community,
                title=title,
                topics=topics,
                held_on=today - dt.timedelta(days=rng.randint(5, 300)),
            )
            meetings.append((meeting, decided))
    JointMeeting.objects.bulk_create([m for m, _d in meetings], batch_size=1000)
    for meeting, decided in meetings:
        decisions.extend(
            MeetingDecision(meeting=meeting, text=text, done=rng.random() < 0.5) for text in decided
        )
        attending.extend(
            JointMeeting.units.through(jointmeeting_id=meeting.pk, cobuildingunit_id=u.pk)
            for u in units_of[meeting.community_id]
        )
    MeetingDecision.objects.bulk_create(decisions, batch_size=2000)
    JointMeeting.units.through.objects.bulk_create(attending, batch_size=5000)
    demo.counts["branches"] = len(branches)
    demo.counts["party members"] = len(members) + len(in_service)
