"""Demo service stations for the demo district: a centre per community or village, grid
stations for most grids (not all), a few rider rest stops, inspections (most passing, some
failing an item), activities over the past year and people served per month, so coverage
figures are non-trivial. Deterministic from the demo's random generator; bulk inserts."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.utils import timezone
from PIL import Image, ImageDraw

from core.images import clean_image
from grids.demo import Demo
from grids.models import Area, Post
from grids.roles import Level, Role
from stations.catalogue import fill_defaults
from stations.models import (
    Activity,
    ActivityKind,
    Facility,
    Inspection,
    InspectionItem,
    Item,
    Kind,
    MonthlyServed,
    ServiceType,
    Station,
    StationPhoto,
    StationStaff,
)
from stations.selectors import months_back

GRID_STATION_SHARE = 0.85
CORE_SERVICES = {
    Kind.CENTRE: ["party_affairs", "government", "mediation"],
    Kind.GRID_STATION: ["party_affairs", "mediation"],
    Kind.RIDER_STOP: ["rider_care", "volunteer"],
}
FEATURED = [
    "elderly_meals",
    "after_school",
    "legal_aid",
    "health",
    "employment",
    "volunteer",
    "civility",
    "day_care",
    "counselling",
]
RIDER_FACILITIES = ["rest_area", "drinking_water", "charging", "first_aid", "microwave", "wifi"]
HOURS = {
    Kind.CENTRE: "周一至周五 8:30–17:30，周六 9:00–12:00",
    Kind.GRID_STATION: "周一至周五 9:00–17:00",
    Kind.RIDER_STOP: "每天 8:00–21:00",
}
DUTIES = ["周一、周三上午", "周二、周四下午", "周五全天", "每天 9:00–11:00", ""]
ROAD_WORDS = ["人民路", "和平路", "解放路", "青湖路", "长江路", "建设路", "文化路", "新华路"]
FAILURES = {
    Item.STAFF_DISPLAY: "公示栏人员照片未更新",
    Item.GRID_MAP: "网格地图未标注新建小区",
    Item.DUTIES: "职责清单未上墙",
    Item.PARTY_ELEMENTS: "党建元素布置不完整",
    Item.STANDARD_NAME: "门头名称不规范",
    Item.SIGN: "标识褪色，需更换",
    Item.PLAQUE: "挂牌位置不醒目",
}
ACTIVITIES = [
    ("主题党日活动", ActivityKind.PARTY_DAY),
    ("党课：党建引领网格治理", ActivityKind.PARTY_DAY),
    ("志愿者清洁家园行动", ActivityKind.VOLUNTEER),
    ("法律咨询进社区", ActivityKind.CONSULTATION),
    ("义诊与健康讲座", ActivityKind.CONSULTATION),
    ("反诈骗宣传讲座", ActivityKind.LECTURE),
    ("消防安全培训", ActivityKind.LECTURE),
    ("邻里文艺汇演", ActivityKind.CULTURE),
    ("中秋邻里节", ActivityKind.FESTIVAL),
    ("重阳节敬老活动", ActivityKind.FESTIVAL),
    ("居民议事会", ActivityKind.MEETING),
    ("四点半课堂开课", ActivityKind.OTHER),
]
RIDER_ACTIVITIES = [
    ("骑手交通安全培训", ActivityKind.LECTURE),
    ("夏日送清凉", ActivityKind.VOLUNTEER),
    ("骑手恳谈会", ActivityKind.MEETING),
]


def _inside(rng, area: Area, margin: float = 0.2) -> tuple[float, float]:
    west, south, east, north = area.geometry.bounds
    return (
        round(rng.uniform(west + (east - west) * margin, east - (east - west) * margin), 6),
        round(rng.uniform(south + (north - south) * margin, north - (north - south) * margin), 6),
    )


def _phone(rng) -> str:
    return f"0519{rng.randint(8100, 8999)}{rng.randint(0, 9999):04d}"


def _address(rng, community: Area) -> str:
    return f"{community.name[:2]}{rng.choice(ROAD_WORDS)}{rng.randint(1, 299)}号"


def _picture(rng, hue: tuple[int, int, int]):
    """A simple drawn 'photo' of a station front (no font needed), as a cleaned JPEG."""
    image = Image.new("RGB", (800, 600), (200 + rng.randint(0, 40), 225, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 430, 800, 600), fill=(170, 170, 165))
    draw.rectangle((140, 170, 660, 460), fill=(238, 232, 220), outline=(120, 110, 100), width=4)
    draw.rectangle((140, 130, 660, 200), fill=hue)
    draw.rectangle((350, 300, 450, 460), fill=(120, 85, 60))
    for x in (190, 500):
        draw.rectangle((x, 250, x + 110, 350), fill=(160, 200, 230), outline=(90, 90, 90), width=3)
    draw.ellipse((370, 140, 430, 190), fill=(250, 215, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return clean_image(buffer)


def seed(demo: Demo, password: str) -> None:
    rng = demo.rng
    district = demo.district
    today = timezone.localdate()
    nodes = list(
        Area.objects.filter(
            path__startswith=district.path,
            level__in=[Level.STREET, Level.TOWN, Level.COMMUNITY, Level.VILLAGE, Level.GRID],
        ).order_by("path")
    )
    streets = [a for a in nodes if a.level in (Level.STREET, Level.TOWN)]
    communities = [a for a in nodes if a.level in (Level.COMMUNITY, Level.VILLAGE)]
    grids_of: defaultdict[str, list[Area]] = defaultdict(list)
    for area in nodes:
        if area.level == Level.GRID:
            grids_of[area.path[: -Area.steplen]].append(area)
    fill_defaults(ServiceType, Facility)  # a flushed test database has lost the migration's rows
    services = {s.code: s for s in ServiceType.objects.all()}
    facilities = {f.code: f for f in Facility.objects.all()}
    people: defaultdict[str, list[int]] = defaultdict(list)  # area path → user ids on duty
    for user_id, path in (
        Post.objects.active()
        .filter(
            area__path__startswith=district.path,
            role__in=[
                Role.COMMUNITY_STAFF,
                Role.GRID_LEADER,
                Role.GRID_WORKER,
                Role.PART_TIME_WORKER,
            ],
        )
        .order_by("area__path", "pk")
        .values_list("user_id", "area__path")
    ):
        people[path].append(user_id)

    stations: list[Station] = []
    for community in communities:
        grids = grids_of[community.path]
        if not grids:
            continue
        host = grids[0]
        lng, lat = _inside(rng, host)
        suffix = "党群服务中心"
        stations.append(
            Station(
                code=f"{community.code}-ZX",
                name=f"{community.name}{suffix}",
                kind=Kind.CENTRE,
                area=community,
                grid=host,
                address=_address(rng, community),
                longitude=lng,
                latitude=lat,
                opening_hours=HOURS[Kind.CENTRE],
                phone=_phone(rng),
                description="一中心多站点：党务、政务、综治服务在这里一站办理。",
            )
        )
        for grid in grids:
            first = grid.code.endswith("-S01-C01-G01")
            if not first and rng.random() > GRID_STATION_SHARE:
                continue
            lng, lat = _inside(rng, grid)
            stations.append(
                Station(
                    code=f"{grid.code}-ZD",
                    name=f"{grid.name}党群直通站",
                    kind=Kind.GRID_STATION,
                    area=grid,
                    grid=grid,
                    address=_address(rng, community),
                    longitude=lng,
                    latitude=lat,
                    opening_hours=HOURS[Kind.GRID_STATION],
                    phone=_phone(rng) if rng.random() < 0.6 else "",
                    # A few stations have closed: they leave the directory and the figures.
                    is_open=first or rng.random() > 0.02,
                )
            )
    for street in streets:
        candidates = [
            grid
            for community in communities
            if community.path.startswith(street.path)
            for grid in grids_of[community.path]
        ]
        dedicated = [g for g in candidates if g.grid_kind == Area.GridKind.DEDICATED]
        for number in range(1, rng.choice([1, 2]) + 1):
            grid = (dedicated or candidates)[rng.randrange(len(dedicated or candidates))]
            community = next(c for c in communities if grid.path.startswith(c.path))
            lng, lat = _inside(rng, grid, margin=0.1)
            stations.append(
                Station(
                    code=f"{street.code}-YZ{number:02d}",
                    name=f"{street.name[:2]}{'红色驿站' if number == 1 else '暖心驿站'}",
                    kind=Kind.RIDER_STOP,
                    area=grid,
                    grid=grid,
                    address=_address(rng, community),
                    longitude=lng,
                    latitude=lat,
                    opening_hours=HOURS[Kind.RIDER_STOP],
                    phone=_phone(rng),
                    description="为快递员、外卖骑手提供歇脚、饮水、充电等暖心服务。",
                )
            )
    Station.objects.bulk_create(stations, batch_size=1000)
    stations = list(
        Station.objects.filter(code__in=[s.code for s in stations]).select_related("area")
    )
    stations.sort(key=lambda s: s.code)

    service_links, facility_links, duties = [], [], []
    ServiceLink = Station.services.through
    FacilityLink = Station.facilities.through
    for station in stations:
        chosen = list(CORE_SERVICES.get(station.kind, []))
        extra = {Kind.CENTRE: (2, 4), Kind.GRID_STATION: (1, 3)}.get(station.kind, (0, 1))
        chosen += rng.sample(FEATURED, rng.randint(*extra))
        if station.kind == Kind.RIDER_STOP:
            kit = RIDER_FACILITIES + rng.sample(["toilet", "umbrella", "toolkit"], 2)
        else:
            kit = rng.sample(sorted(facilities), rng.randint(3, 8))
        service_links += [
            ServiceLink(station_id=station.pk, servicetype_id=services[code].pk)
            for code in dict.fromkeys(chosen)
            if code in services
        ]
        facility_links += [
            FacilityLink(station_id=station.pk, facility_id=facilities[code].pk)
            for code in dict.fromkeys(kit)
            if code in facilities
        ]
        team = people.get(station.area.path, []) + (
            people.get(station.grid.path, [])
            if station.grid and station.kind == Kind.CENTRE
            else []
        )
        for user_id in list(dict.fromkeys(team))[: rng.randint(1, 3)]:
            duties.append(
                StationStaff(station_id=station.pk, user_id=user_id, duty=rng.choice(DUTIES))
            )
    ServiceLink.objects.bulk_create(service_links, batch_size=5000)
    FacilityLink.objects.bulk_create(facility_links, batch_size=5000)
    StationStaff.objects.bulk_create(duties, batch_size=5000)

    inspections, results = [], []
    for station in stations:
        if rng.random() < 0.1:
            continue  # never inspected yet
        count = rng.choice([1, 2])
        for index in range(count):
            latest = index == count - 1
            failed = (
                set()
                if (latest and rng.random() < 0.78)
                else set(rng.sample(list(Item.values), rng.choice([1, 1, 2])))
            )
            inspection = Inspection(
                station_id=station.pk,
                inspected_on=today
                - dt.timedelta(days=rng.randint(10, 90) + (count - 1 - index) * 180),
                passed=not failed,
            )
            inspections.append(inspection)
            results.append(failed)
    Inspection.objects.bulk_create(inspections, batch_size=2000)
    items = [
        InspectionItem(
            inspection_id=inspection.pk,
            item=item,
            passed=item not in failed,
            note=FAILURES[item] if item in failed else "",
        )
        for inspection, failed in zip(inspections, results, strict=True)
        for item in Item.values
    ]
    InspectionItem.objects.bulk_create(items, batch_size=5000)

    activities, served = [], []
    months = months_back(12, today)
    for station in stations:
        low, high = {Kind.CENTRE: (8, 16), Kind.GRID_STATION: (2, 8)}.get(station.kind, (0, 3))
        pool = RIDER_ACTIVITIES if station.kind == Kind.RIDER_STOP else ACTIVITIES
        for _ in range(rng.randint(low, high)):
            title, kind = rng.choice(pool)
            activities.append(
                Activity(
                    station_id=station.pk,
                    held_on=today - dt.timedelta(days=rng.randint(0, 364)),
                    title=title,
                    kind=kind,
                    attendance=rng.randint(8, 120),
                )
            )
        if not station.is_open:
            continue
        base = {Kind.CENTRE: 700, Kind.GRID_STATION: 140, Kind.RIDER_STOP: 220}.get(
            station.kind, 80
        )
        for month in months:
            if rng.random() < 0.06:
                continue  # a month nobody entered
            served.append(
                MonthlyServed(
                    station_id=station.pk, month=month, people=int(base * rng.uniform(0.5, 1.6))
                )
            )
    Activity.objects.bulk_create(activities, batch_size=5000)
    MonthlyServed.objects.bulk_create(served, batch_size=5000)

    # A few photos on the stations the demo accounts see first.
    photos = []
    for code, hue in [("-S01-C01-ZX", (183, 28, 28)), ("-S01-C01-G01-ZD", (183, 28, 28))]:
        station = next((s for s in stations if s.code == district.code + code), None)
        if station is not None:
            for caption in ("外景", "服务大厅"):
                photos.append(
                    StationPhoto(station=station, caption=caption, image=_picture(rng, hue))
                )
    for photo in photos:
        photo.save()

    demo.counts["stations"] = len(stations)
    demo.counts["inspections"] = len(inspections)
    demo.counts["station activities"] = len(activities)
