"""The demo's 红色物业: five property companies serving eight estates of QH-S01-C01 (one
self-managed), a year of requests routed to them, the community's ratings of the last two
half-years (their lists published by the street) and a few drafts of the current one."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from estates.models import (
    Company,
    Estate,
    PartyOrg,
    PublishedList,
    Rating,
    StandardItem,
    period_bounds,
    period_of,
    previous_period,
)
from estates.standard import fill_standard
from grids.models import Area
from grids.roles import Level, Role

COMPANIES = [
    ("青湖物业服务有限公司", "91320412MA1QH00010", "王建华", "13913500101", PartyOrg.INDEPENDENT),
    (
        "绿城物业服务集团常州分公司",
        "91320411MA1QH00021",
        "李晓燕",
        "13813500202",
        PartyOrg.INDEPENDENT,
    ),
    ("湖滨安居物业管理有限公司", "91320412MA1QH00032", "张志强", "13701500303", PartyOrg.JOINT),
    ("恒信物业管理有限公司", "91320412MA1QH00043", "刘梅", "13601500404", PartyOrg.JOINT),
    ("万家兴物业服务有限公司", "91320412MA1QH00054", "陈刚", "13501500505", PartyOrg.NONE),
]
# name, company (index, None: self-managed), households
ESTATES = [
    ("青湖花园", 0, 680),
    ("湖滨新村", 2, 420),
    ("绿城玉兰苑", 1, 960),
    ("锦绣家园", 0, 510),
    ("阳光水岸", 3, 730),
    ("梧桐小区", 4, 350),
    ("百花苑", 2, 290),
    ("运河人家", None, 180),
]
# How well each company does (a base for its scores, share of full marks).
QUALITY = [0.97, 0.93, 0.82, 0.72, 0.55]
REQUESTS = [
    ("estate_facilities", "{estate}{n}幢楼道灯不亮，晚上出入不便"),
    ("estate_facilities", "{estate}地下车库排水沟堵塞，下雨积水"),
    ("estate_facilities", "{estate}{n}单元电梯经常停运，老人上下楼困难"),
    ("estate_facilities", "{estate}儿童游乐设施损坏，存在安全隐患"),
    ("property_service", "{estate}物业保洁不及时，垃圾桶周边脏乱"),
    ("property_service", "{estate}门岗对外来车辆管理松散"),
    ("property_service", "{estate}物业对维修报修迟迟不回复"),
]


def load_defaults() -> None:
    """The standard the migration loads, loaded again where a test's flush emptied it."""
    if not StandardItem.objects.exists():
        fill_standard(StandardItem)


def seed(demo, password: str) -> None:
    load_defaults()
    community = Area.objects.filter(code=f"{demo.district.code}-S01-C01").first()
    if community is None:
        return
    rng = random.Random(f"{demo.scale}-estates")  # noqa: S311 - demo data
    companies = _companies(password)
    grids = list(
        Area.objects.filter(path__startswith=community.path, level=Level.GRID).order_by("path")
    )
    estates = []
    for i, (name, company, households) in enumerate(ESTATES):
        estate = Estate.objects.create(
            name=name,
            community=community,
            company=companies[company] if company is not None else None,
            households=households,
        )
        if grids:
            estate.grids.add(grids[i % len(grids)])
        estates.append(estate)
    demo.counts["property companies"] = len(companies)
    demo.counts["estates"] = len(estates)
    demo.counts["property requests"] = _requests(rng, estates, grids)
    demo.counts["property ratings"] = _ratings(rng, community, companies)


def _companies(password: str) -> list[Company]:
    from estates.services import set_up_company

    User = get_user_model()
    hashed = make_password(password)
    companies = []
    for i, (name, code, contact, phone, org) in enumerate(COMPANIES):
        # The first company's help desk is a demo account ("property"): it takes requests.
        staff = User.objects.create(
            username="property" if i == 0 else f"property{i + 1}",
            display_name=f"{name[:4]} 客服 {contact}",
            password=hashed,
        )
        companies.append(
            set_up_company(
                company=Company(
                    name=name, credit_code=code, contact_name=contact, phone=phone, party_org=org
                ),
                staff=[staff],
            )
        )
    return companies


def _requests(rng, estates, grids) -> int:
    """A year of requests about the estates, through ``submit`` (routed to the company);
    most closed with the resident's rating, written in bulk as the demo's tickets are."""
    from tickets import services as tickets
    from tickets.models import Matter

    matters = {m.code: m for m in Matter.objects.filter(code__in=[c for c, _t in REQUESTS])}
    if len(matters) < 2:
        return 0
    now = timezone.now()
    made = 0
    photo = _photo()
    for estate, (_name, company, _households) in zip(estates, ESTATES, strict=True):
        grid = estate.grids.first()
        if grid is None:
            continue
        # Self-managed estates' requests stay with the grid: an average mood.
        quality = QUALITY[company] if company is not None else 0.8
        for _ in range(4 if estate.company_id else 2):
            code, text = rng.choice(REQUESTS)
            at = now - dt.timedelta(days=rng.randint(3, 360), hours=rng.randint(0, 10))
            ticket = tickets.submit(
                channel="staff",
                matter=matters[code],
                description=text.format(estate=estate.name, n=rng.randint(1, 20)),
                grid=grid,
                reporter_phone=f"139{rng.randint(10000000, 99999999)}",
                reporter_name=rng.choice(["张女士", "李先生", "王阿姨", "陈先生", "赵女士"]),
                at=at,
            )
            made += 1
            if (now - at).days < 10:
                continue  # recent ones still open
            rating = max(3, min(5, round(rng.gauss(quality * 5, 0.7))))
            _handle(ticket, at, rating, photo)
    return made


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 210, 200)).save(out, "JPEG")
    return out.getvalue()


def _handle(ticket, at: dt.datetime, rating: int, photo: bytes) -> None:
    """The request's life through the state machine, each step at its moment (as the tickets
    demo plays its own): the community accepts and sends it to the company's help desk (or,
    for a self-managed estate, to the grid's worker), who starts and resolves it; the
    resident rates it (3–5 stars, which close it)."""
    from django.core.files.base import ContentFile

    from tickets import services as tickets

    User = get_user_model()
    community = ticket.area.community()
    dispatcher = User.objects.filter(
        posts__role=Role.COMMUNITY_STAFF, posts__area=community
    ).first()
    if ticket.department_id:
        handler = ticket.department.members.order_by("pk").first()
    else:
        handler = User.objects.filter(posts__role=Role.GRID_WORKER, posts__area=ticket.area).first()
    if dispatcher is None or handler is None:
        return
    ticket = tickets.accept(by=dispatcher, ticket=ticket, at=at + dt.timedelta(hours=1))
    ticket = tickets.assign(
        by=dispatcher,
        ticket=ticket,
        department=ticket.department if ticket.department_id else None,
        assignee=None if ticket.department_id else handler,
        at=at + dt.timedelta(hours=2),
    )
    ticket = tickets.start(by=handler, ticket=ticket, at=at + dt.timedelta(hours=5))
    photos = [ContentFile(photo, name="done.jpg")] if ticket.matter.photo_required else []
    ticket = tickets.resolve(
        by=handler,
        ticket=ticket,
        result="已处理完毕，已回访居民。",
        photos=photos,
        at=at + dt.timedelta(days=1, hours=3),
    )
    tickets.rate(ticket=ticket, rating=rating, at=at + dt.timedelta(days=2))


def _ratings(rng, community, companies) -> int:
    from estates.services import publish_list, record_rating

    User = get_user_model()
    rater = User.objects.filter(posts__role=Role.COMMUNITY_STAFF, posts__area=community).first()
    publisher = User.objects.filter(
        posts__role=Role.STREET_STAFF, posts__area=community.get_parent()
    ).first()
    if rater is None or publisher is None:
        return 0
    items = list(StandardItem.objects.filter(active=True))
    current = period_of(timezone.localdate())
    last = previous_period(current)
    made = 0
    for period in (previous_period(last), last, current):
        _first, end = period_bounds(period)
        for i, company in enumerate(companies):
            if period == current and i >= 2:
                break  # the community is still rating this half-year
            quality = QUALITY[i] + rng.uniform(-0.04, 0.04)
            scores = {
                item.pk: Decimal(
                    str(
                        round(
                            min(
                                item.max_score,
                                item.max_score * rng.uniform(quality - 0.1, quality + 0.08),
                            )
                            * 2
                        )
                        / 2
                    )
                ).max(Decimal(0))
                for item in items
            }
            rating = record_rating(
                by=rater,
                company=company,
                community=community,
                period=period,
                scores=scores,
                note="" if quality > 0.6 else "投诉较多，限期整改",
                submit=period != current or i == 0,
            )
            if rating.submitted:
                when = timezone.make_aware(
                    dt.datetime.combine(end - dt.timedelta(days=10), dt.time(15))
                )
                Rating.objects.filter(pk=rating.pk).update(submitted_at=when, updated_at=when)
            made += 1
        if period != current:
            published = publish_list(by=publisher, area=community.get_parent(), period=period)
            when = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=8), dt.time(10)))
            PublishedList.objects.filter(pk=published.pk).update(published_at=when)
    return made
