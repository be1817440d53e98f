"""The demo district: a fictional 青湖区 whose boundaries tile exactly.

Deterministic for a given seed and scale. Rows are bulk-inserted with
precomputed tree paths (one insert per table, not one per node), so the
district scale (about 1,000 grids and 600,000 households) loads in minutes.
Other apps add their demo data in their own ``demo.py`` after this one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.backends import users_reloaded
from core.bulkload import create_all
from core.personal import id_check_character
from grids.models import Area, CareCategory, Cover, Household, Leave, Post, Resident, ResidentCare
from grids.roles import Level, Role
from grids.scope import scope_changed

DISTRICT_CODE = "QH"

SCALES = {
    # streets, towns, communities per street/town, grids per community, households per grid
    "small": {"streets": 2, "towns": 2, "communities": 3, "grids": (6, 8), "households": 100},
    "district": {"streets": 6, "towns": 6, "communities": 21, "grids": (3, 5), "households": 615},
}

STREET_NAMES = ["湖滨", "南苑", "西城", "东湖", "北岸", "文昌", "朝阳", "新桥"]
TOWN_NAMES = ["青山", "柳溪", "白塘", "龙潭", "石桥", "梅村", "竹园", "花溪"]
COMMUNITY_WORDS = [
    "幸福",
    "和平",
    "阳光",
    "翠竹",
    "锦绣",
    "康乐",
    "春晖",
    "金湾",
    "绿洲",
    "兴隆",
    "民主",
    "团结",
    "友谊",
    "丽景",
    "华庭",
    "百合",
    "桂苑",
    "枫林",
    "清风",
    "明月",
]
VILLAGE_WORDS = [
    "东桥",
    "西湾",
    "南庄",
    "北塘",
    "杨家",
    "陈巷",
    "李庄",
    "河口",
    "新联",
    "长荡",
    "前进",
    "永安",
    "双桥",
    "三河",
    "高塘",
    "庙前",
    "宋家",
    "蒋湾",
    "何村",
    "夏溪",
]
COMPOUND_WORDS = ["花园", "新村", "佳苑", "公寓", "雅居", "家园", "名邸", "小区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国"
    "红梅志文斌玉兰海燕宁浩俊雪琳晨阳欣怡子涵宇轩"
)
DEDICATED = [
    (Area.DedicatedType.BUSINESS_DISTRICT, "商圈"),
    (Area.DedicatedType.INDUSTRIAL_PARK, "科技园"),
    (Area.DedicatedType.MARKET, "农贸市场"),
    (Area.DedicatedType.OFFICE_BUILDING, "商务楼宇"),
]
# GB/T 2260 county codes of Changzhou (3204xx): residents' ID numbers start with one of them.
REGION_CODES = ["320402", "320404", "320411", "320412", "320413", "320481"]

# The fictional district sits near Changzhou: west, south, east, north.
DISTRICT_BOX = (119.90, 31.70, 120.10, 31.86)


@dataclass
class Demo:
    """What seeding produced, for later apps' demo steps and for the printout."""

    scale: str
    rng: random.Random
    district: Area | None = None
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # hook(households, care) for each grid's households before they are inserted, ``care``
    # being their residents' care categories by id(household): later apps fill the fields
    # they keep on a household (the visits app: last visit and due date) without a second
    # pass over hundreds of thousands of rows. Added by their demo module's prepare().
    household_hooks: list[Callable[[list[Household], dict[int, set[str]]], None]] = field(
        default_factory=list
    )


def _box(west, south, east, north):
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def _split(rng: random.Random, low: float, high: float, parts: int) -> list[tuple[float, float]]:
    """Cut [low, high] into ``parts`` uneven pieces that share their edges exactly."""
    weights = [rng.uniform(0.8, 1.25) for _ in range(parts)]
    total = sum(weights)
    edges = [low]
    for weight in weights[:-1]:
        edges.append(round(edges[-1] + (high - low) * weight / total, 6))
    edges.append(high)
    return list(itertools.pairwise(edges))


class _Tree:
    """Builds Area rows with treebeard paths, for one bulk insert."""

    def __init__(self):
        self.rows: list[Area] = []
        self.children: dict[str, int] = {}

    def add(self, parent: Area | None, **fields) -> Area:
        parent_path = parent.path if parent else ""
        position = self.children.get(parent_path, 0) + 1
        self.children[parent_path] = position
        depth = (parent.depth + 1) if parent else 1
        path = Area._get_path(parent_path or None, depth, position)
        area = Area(path=path, depth=depth, numchild=0, **fields)
        area.set_bbox()
        if parent is not None:
            parent.numchild += 1
        self.rows.append(area)
        return area


def _id_number(rng: random.Random, born: dt.date, male: bool, used: set[str]) -> str:
    while True:
        sequence = rng.randrange(0, 1000)
        if (sequence % 2 == 1) != male:
            sequence = (sequence + 1) % 1000
        first17 = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{sequence:03d}"
        value = first17 + id_check_character(first17)
        if value not in used:
            used.add(value)
            return value


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        value = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
        if value not in used:
            used.add(value)
            return value


def build_territory(demo: Demo) -> list[Area]:
    rng, config = demo.rng, SCALES[demo.scale]
    tree = _Tree()
    west, south, east, north = DISTRICT_BOX
    district = tree.add(
        None, code=DISTRICT_CODE, name="青湖区", level=Level.DISTRICT, boundary=_box(*DISTRICT_BOX)
    )
    kinds = ["street"] * config["streets"] + ["town"] * config["towns"]
    dedicated_left = list(DEDICATED) * 4
    for s_index, ((s_west, s_east), kind) in enumerate(
        zip(_split(rng, west, east, len(kinds)), kinds, strict=True), start=1
    ):
        is_street = kind == "street"
        s_number = sum(1 for k in kinds[:s_index] if k == kind)
        s_name = (STREET_NAMES if is_street else TOWN_NAMES)[(s_number - 1) % 8]
        s_code = f"{DISTRICT_CODE}-{'S' if is_street else 'T'}{s_number:02d}"
        suffix = "" if s_number <= 8 else str(s_number)
        street = tree.add(
            district,
            code=s_code,
            name=f"{s_name}{suffix}{'街道' if is_street else '镇'}",
            level=Level.STREET if is_street else Level.TOWN,
            boundary=_box(s_west, south, s_east, north),
        )
        for c_index, (c_south, c_north) in enumerate(
            _split(rng, south, north, config["communities"]), start=1
        ):
            words = COMMUNITY_WORDS if is_street else VILLAGE_WORDS
            word = words[(c_index - 1 + s_index * 3) % len(words)]
            c_code = f"{s_code}-C{c_index:02d}"
            community = tree.add(
                street,
                code=c_code,
                name=f"{word}{'社区' if is_street else '村'}"
                + ("" if c_index <= 20 else str(c_index)),
                level=Level.COMMUNITY if is_street else Level.VILLAGE,
                boundary=_box(s_west, c_south, s_east, c_north),
            )
            n_grids = rng.randint(*config["grids"])
            top = (n_grids + 1) // 2
            lower, upper = _split(rng, c_south, c_north, 2)
            rows = [(n_grids - top, lower), (top, upper)]
            g_index = 0
            for count, (r_south, r_north) in rows:
                for g_west, g_east in _split(rng, s_west, s_east, count):
                    g_index += 1
                    dedicated = None
                    if is_street and g_index == 1 and c_index % 2 == 0 and dedicated_left:
                        dedicated = dedicated_left.pop(0)
                    grid = tree.add(
                        community,
                        code=f"{c_code}-G{g_index:02d}",
                        name=(
                            f"{word}{dedicated[1]}专属网格"
                            if dedicated
                            else f"{word}{'社区' if is_street else '村'}第{g_index}网格"
                        ),
                        level=Level.GRID,
                        grid_kind=(
                            Area.GridKind.DEDICATED if dedicated else Area.GridKind.COMPREHENSIVE
                        ),
                        dedicated_type=dedicated[0] if dedicated else "",
                        boundary=_box(g_west, r_south, g_east, r_north),
                    )
                    m_index = 0
                    for m_south, m_north in _split(rng, r_south, r_north, 2):
                        for m_west, m_east in _split(rng, g_west, g_east, 2):
                            m_index += 1
                            tree.add(
                                grid,
                                code=f"{grid.code}-M{m_index}",
                                name=f"第{m_index}微网格",
                                level=Level.MICRO_GRID,
                                boundary=_box(m_west, m_south, m_east, m_north),
                            )
    Area.objects.bulk_create(tree.rows, batch_size=1000)
    scope_changed()  # bulk_create sends no signals
    demo.district = Area.objects.get(code=DISTRICT_CODE)
    demo.counts["areas"] = len(tree.rows)
    return tree.rows


def build_households(demo: Demo, areas: list[Area]) -> None:
    rng, config = demo.rng, SCALES[demo.scale]
    by_path = {area.path: area for area in Area.objects.filter(path__startswith=demo.district.path)}
    grids = [a for a in by_path.values() if a.level == Level.GRID]
    micro = {}
    for area in by_path.values():
        if area.level == Level.MICRO_GRID:
            micro.setdefault(area.path[: -Area.steplen], []).append(area)
    today = timezone.localdate()
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    household_total = resident_total = 0
    for grid in sorted(grids, key=lambda g: g.path):
        if grid.grid_kind == Area.GridKind.DEDICATED:
            count = config["households"] // 10
        else:
            count = rng.randint(int(config["households"] * 0.8), int(config["households"] * 1.2))
        compounds = rng.sample(COMPOUND_WORDS, 2)
        households = []
        for n in range(count):
            cell = rng.choice(micro[grid.path])
            west, south, east, north = cell.geometry.bounds
            compound = f"{grid.name[:2]}{compounds[n % 2]}"
            building, rest = divmod(n, 12)
            unit, room = divmod(rest, 4)
            households.append(
                Household(
                    grid=grid,
                    micro_grid=cell,
                    address=(
                        f"{compound}{building + 1}幢{unit + 1}单元"
                        f"{(room % 6) + 1}0{rng.randint(1, 4)}室"
                    ),
                    longitude=round(
                        rng.uniform(west + (east - west) * 0.05, east - (east - west) * 0.05), 6
                    ),
                    latitude=round(
                        rng.uniform(south + (north - south) * 0.05, north - (north - south) * 0.05),
                        6,
                    ),
                )
            )
        # Addresses must be unique per grid; the room draw can repeat, so make it unique.
        seen: set[str] = set()
        for index, household in enumerate(households):
            if household.address in seen:
                household.address = f"{household.address}-{index}"
            seen.add(household.address)
        residents, care = [], []
        household_care: dict[int, set[str]] = {}
        for household in households:
            size = rng.choices([1, 2, 3, 4, 5], weights=[14, 30, 28, 20, 8])[0]
            surname = rng.choice(SURNAMES)
            head_age = rng.randint(24, 92) if size > 1 else rng.randint(22, 95)
            members = [("head", head_age)]
            if size >= 2:
                members.append(("spouse", max(20, head_age + rng.randint(-5, 5))))
            for _ in range(size - 2):
                members.append(("child", rng.randint(0, max(1, head_age - 20))))
            for relationship, age in members:
                male = rng.random() < 0.5
                born = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
                name = (surname if relationship != "spouse" else rng.choice(SURNAMES)) + "".join(
                    rng.choice(GIVEN) for _ in range(rng.choice([1, 2]))
                )
                resident = Resident(
                    household=household,
                    name=name,
                    relationship=relationship,
                    id_number=_id_number(rng, born, male, used_ids)
                    if age >= 16 or rng.random() < 0.6
                    else "",
                    phone=_mobile(rng, used_phones) if age >= 14 else "",
                    gender=Resident.Gender.MALE if male else Resident.Gender.FEMALE,
                    birth_date=born,
                )
                residents.append(resident)
                categories = []
                if size == 1 and age >= 70:
                    categories.append(CareCategory.ELDERLY_ALONE)
                elif age >= 65 and size == 2 and rng.random() < 0.3:
                    categories.append(CareCategory.EMPTY_NEST)
                if rng.random() < 0.02:
                    categories.append(CareCategory.DISABLED)
                if rng.random() < 0.025:
                    categories.append(CareCategory.LOW_INCOME)
                if age < 16 and rng.random() < 0.06:
                    categories.append(CareCategory.LEFT_BEHIND_CHILD)
                care.extend((resident, category) for category in categories)
                household_care.setdefault(id(household), set()).update(categories)
        for hook in demo.household_hooks:
            hook(households, household_care)
        # COPY: 1.67 million residents at district scale (core/bulkload.py).
        create_all(Household, households)
        create_all(Resident, residents)
        create_all(
            ResidentCare,
            [ResidentCare(resident=resident, category=category) for resident, category in care],
        )
        household_total += len(households)
        resident_total += len(residents)
    demo.counts["households"] = household_total
    demo.counts["residents"] = resident_total


# (username, display name, role, area code suffix relative to the district)
DEMO_ACCOUNTS = [
    ("district", "区指挥中心 周敏", Role.DISTRICT_STAFF, ""),
    ("street", "湖滨街道 吴强", Role.STREET_STAFF, "-S01"),
    ("community", "社区工作者 陈静", Role.COMMUNITY_STAFF, "-S01-C01"),
    ("leader", "网格长 李建国", Role.GRID_LEADER, "-S01-C01-G01"),
    ("worker", "专职网格员 王芳", Role.GRID_WORKER, "-S01-C01-G01"),
    ("neighbour", "专职网格员 赵磊", Role.GRID_WORKER, "-S01-C01-G02"),
    ("parttime", "党员兼职网格员 刘洋", Role.PART_TIME_WORKER, "-S01-C01-G01"),
    ("liaison", "微网格联络员 孙丽", Role.LIAISON, "-S01-C01-G01-M1"),
    ("volunteer", "网格志愿者 马超", Role.VOLUNTEER, "-S01-C01-G01"),
    ("rider", "流动网格员 朱杰", Role.MOBILE_WORKER, "-S01-C01"),
]
OFFICER_GROUPS = {
    Role.DISTRICT_STAFF: "District staff",
    Role.STREET_STAFF: "Street staff",
    Role.COMMUNITY_STAFF: "Community staff",
}


def build_people(demo: Demo, password: str) -> None:
    """Demo accounts for every role, and enough team members that 1+3+N varies."""
    rng = demo.rng
    User = get_user_model()
    hashed = make_password(password)  # hashed once: PBKDF2 per user would take minutes
    codes = {a.code: a for a in Area.objects.filter(path__startswith=demo.district.path)}
    users, posts = [], []
    for username, display, role, suffix in DEMO_ACCOUNTS:
        user = User(
            username=username,
            display_name=display,
            password=hashed,
            is_staff=role in OFFICER_GROUPS,
        )
        users.append(user)
        posts.append((user, codes[DISTRICT_CODE + suffix], role))
        demo.accounts.append((username, display, Role(role).label))
    grids = sorted((a for a in codes.values() if a.level == Level.GRID), key=lambda a: a.path)
    for grid in grids:
        roll = rng.random()
        full_time = 0 if roll < 0.05 else 1
        part_time = 3 if roll > 0.2 else rng.choice([1, 2])
        helpers = rng.choice([0, 1, 2, 3]) if roll > 0.1 else 0
        if grid.code.endswith("-S01-C01-G01"):
            full_time, part_time, helpers = 0, 2, 0  # the demo accounts complete this grid
        # Most grids' full-time post is the grid leader, who usually also leads the branch.
        full_time_role = Role.GRID_LEADER if rng.random() < 0.75 else Role.GRID_WORKER
        team = (
            [full_time_role] * full_time
            + [Role.PART_TIME_WORKER] * part_time
            + [Role.VOLUNTEER] * helpers
        )
        for index, role in enumerate(team, start=1):
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN) + rng.choice(GIVEN)
            user = User(
                username=f"{grid.code.lower()}-{index}",
                display_name=surname + given,
                password=hashed,
            )
            users.append(user)
            posts.append((user, grid, role))
    # Every other community has its community worker too: they verify its points and run its
    # stations. Named from the community, without the generator, so the rest stays as it was.
    officers = []
    for community in sorted(
        (a for a in codes.values() if a.level in (Level.COMMUNITY, Level.VILLAGE)),
        key=lambda a: a.path,
    ):
        if community.code.endswith("-S01-C01"):
            continue  # the demo "community" account
        user = User(
            username=f"{community.code.lower()}-staff",
            display_name=f"社区工作者（{community.name}）",
            password=hashed,
            is_staff=True,
        )
        users.append(user)
        officers.append(user.username)
        posts.append((user, community, Role.COMMUNITY_STAFF))
    User.objects.bulk_create(users, batch_size=2000)
    users_reloaded()  # bulk_create sends no signals
    saved = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    start = timezone.localdate() - dt.timedelta(days=400)
    Post.objects.bulk_create(
        [
            Post(user=saved[user.username], area=area, role=role, started_on=start)
            for user, area, role in posts
        ],
        batch_size=2000,
    )
    scope_changed()
    for role, group_name in OFFICER_GROUPS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            for username, _display, account_role, _suffix in DEMO_ACCOUNTS:
                if account_role == role:
                    saved[username].groups.add(group)
            if role == Role.COMMUNITY_STAFF:
                group.user_set.add(*(saved[name] for name in officers))
    demo.counts["users"] = len(users)
    demo.counts["posts"] = len(posts)


def seed(demo: Demo, password: str) -> None:
    from grids.tallies import refresh_tallies

    areas = build_territory(demo)
    build_households(demo, areas)
    build_people(demo, password)
    build_cover(demo)
    refresh_tallies()


def build_cover(demo: Demo) -> None:
    """AB岗: the two demo grid workers of neighbouring grids cover each other, and one of them
    has leave booked next month (none today, so the demo's journeys meet nobody on leave)."""

    posts = {
        p.user.username: p
        for p in Post.objects.filter(
            user__username__in=["worker", "neighbour"], role=Role.GRID_WORKER
        ).select_related("user")
    }
    if len(posts) < 2:
        return
    worker, neighbour = posts["worker"], posts["neighbour"]
    Cover.objects.create(post=worker, covered_by=neighbour.user)
    Cover.objects.create(post=neighbour, covered_by=worker.user)
    starts = timezone.localdate() + dt.timedelta(days=30)
    Leave.objects.create(
        user=neighbour.user,
        starts_on=starts,
        ends_on=starts + dt.timedelta(days=4),
        reason="年休假",
    )
    demo.counts["cover pairs"] = 2
