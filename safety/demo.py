"""The demo's year of safety patrols (网格+安全) in the demo community QH-S01-C01: its shops,
enterprises and public places, patrolled about as often as their kind asks, one item in ten
failing; most hazards fixed and re-checked, a few open, two or three overdue, and one major
hazard filed as a request to the emergency bureau. Bulk-inserted: a year through the
services would be slow; the one major hazard goes through ``record_patrol``."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grids.models import Area, Post
from grids.roles import Role
from safety import defaults
from safety.models import (
    DEFAULT_FIX_DAYS,
    ChecklistItem,
    Hazard,
    Patrol,
    PatrolAnswer,
    PatrolPlan,
    intervals,
)
from safety.services import Answer, deadline_moment, record_patrol
from visits.models import Place, PlaceKind

COMMUNITY = "QH-S01-C01"

PLACES = [
    ("enterprise", "青湖精密五金厂", "工业园路12号"),
    ("enterprise", "宏达包装材料有限公司", "工业园路18号"),
    ("shop", "老王家常菜馆", "青湖路35号"),
    ("shop", "便民超市", "青湖路41号"),
    ("shop", "丽人美发店", "湖滨街6号"),
    ("shop", "鑫旺电动车维修店", "湖滨街22号"),
    ("public", "青湖社区文化广场", "青湖路60号"),
    ("public", "湖滨农贸市场", "湖滨街1号"),
    ("enterprise", "绿源食品加工坊", "工业园路30号"),
    ("shop", "好又多小吃店", "青湖路88号"),
    ("public", "幸福里小区地下车库", "幸福里小区"),
    ("hazard", "青湖路边坡", "青湖路与湖滨街交口"),
]
OWNERS = ["王建国", "李秀英", "张伟", "刘芳", "陈志强", "杨丽", "赵磊", "黄敏", "周杰", "吴静"]
FIXES = ["已更换灭火器", "已清理通道堆物", "已请电工整改线路", "已更换燃气软管", "已整改完毕"]


def load_defaults() -> None:
    """The checklists and intervals the migration loads, again where a flush emptied them."""
    defaults.load(ChecklistItem, PatrolPlan)


def seed(demo, password: str) -> None:
    load_defaults()
    community = Area.objects.filter(code=COMMUNITY).first()
    if community is None:
        return
    grids = list(
        Area.objects.filter(path__startswith=community.path, level="grid").order_by("code")
    )
    if not grids:
        return
    rng = random.Random(f"{demo.scale}-safety")  # noqa: S311 - demo data
    places = _places(grids)
    workers = _workers(grids)
    counts = _year(places, workers, rng)
    _major(places, workers)
    demo.counts["safety patrols"] = counts[0]
    demo.counts["safety hazards"] = counts[1]


def _places(grids: list[Area]) -> list[Place]:
    existing = set(Place.objects.filter(grid__in=grids).values_list("grid_id", "name"))
    rows = []
    for n, (kind, name, address) in enumerate(PLACES):
        grid = grids[n % len(grids)]
        if (grid.pk, name) not in existing:
            rows.append(Place(grid=grid, name=name, kind=kind, address=address))
    Place.objects.bulk_create(rows)
    return list(Place.objects.filter(grid__in=grids, active=True).select_related("grid"))


def _workers(grids: list[Area]) -> dict[int, object]:
    found = {}
    for post in Post.objects.filter(area__in=grids, role=Role.GRID_WORKER).select_related("user"):
        found.setdefault(post.area_id, post.user)
    fallback = get_user_model().objects.filter(username="worker").first()
    return {g.pk: found.get(g.pk, fallback) for g in grids}


def _year(places: list[Place], workers: dict, rng: random.Random) -> tuple[int, int]:
    now = timezone.now()
    today = timezone.localdate()
    days = intervals()
    items: dict[str, list[ChecklistItem]] = {}
    for item in ChecklistItem.objects.filter(active=True):
        items.setdefault(item.place_kind, []).append(item)
    plans = []  # (place, at, by)
    for place in places:
        by = workers.get(place.grid_id)
        if by is None or not items.get(place.kind):
            continue
        step = days.get(place.kind, 30)
        # The last patrol of a place or two slips past its interval: due on the worker's page.
        at = now - dt.timedelta(days=365 - rng.randint(0, step // 2))
        while at < now - dt.timedelta(days=2):
            plans.append((place, at.replace(hour=rng.randint(9, 16)), by))
            at += dt.timedelta(days=step + rng.randint(-5, 4 if place.kind != "hazard" else 20))
    patrols = Patrol.objects.bulk_create(
        Patrol(place=p, grid=p.grid, by=by, at=at, notes="") for p, at, by in plans
    )
    answers, failures = [], []
    for patrol in patrols:
        for item in items[patrol.place.kind]:
            passed = rng.random() > 0.1 or item.major  # the one major hazard is seeded below
            note = (
                ""
                if passed
                else rng.choice(
                    ["灭火器过期", "通道有纸箱堆放", "插线板串接", "软管老化开裂", "标志缺失"]
                )
            )
            answers.append(PatrolAnswer(patrol=patrol, item=item, passed=passed, note=note))
    PatrolAnswer.objects.bulk_create(answers)
    for answer in answers:
        patrol = answer.patrol
        patrol.failed += not answer.passed
        patrol.passed += answer.passed
        if answer.passed:
            continue
        found = patrol.at
        fix_by = timezone.localdate(found) + dt.timedelta(days=DEFAULT_FIX_DAYS["normal"])
        hazard = Hazard(
            place=patrol.place,
            grid=patrol.grid,
            answer=answer,
            category=answer.item.category,
            description=f"{answer.item.text}：{answer.note}",
            responsible_name=OWNERS[patrol.place.pk % len(OWNERS)],
            responsible_phone=f"139{patrol.place.pk:08d}"[-11:],
            found_at=found,
            fix_by=fix_by,
        )
        if fix_by < today:
            hazard.status = Hazard.Status.CLOSED
            hazard.fixed_at = found + dt.timedelta(days=rng.randint(1, 6))
            hazard.fixed_note = rng.choice(FIXES)
            hazard.rechecked_at = hazard.fixed_at + dt.timedelta(days=1)
            hazard.rechecked_by = patrol.by
        else:
            hazard.next_check_at = deadline_moment(fix_by)
        failures.append(hazard)
    _leave_some_open(failures, today)
    Patrol.objects.bulk_update(patrols, ["passed", "failed"])
    Hazard.objects.bulk_create(failures)
    return len(patrols), len(failures)


def _leave_some_open(hazards: list[Hazard], today: dt.date) -> None:
    """Of the latest hazards past their date, three are overdue (the sweep told the grid and
    the community) and one is fixed, awaiting its re-check."""
    past = sorted((h for h in hazards if h.fix_by < today), key=lambda h: h.found_at)
    for n, hazard in enumerate(reversed(past[-4:])):
        hazard.rechecked_at = hazard.rechecked_by = None
        if n == 0:
            hazard.status = Hazard.Status.FIXED
            continue
        hazard.status = Hazard.Status.OPEN
        hazard.fixed_at, hazard.fixed_note = None, ""
        hazard.escalation_level = 1
        hazard.next_check_at = deadline_moment(hazard.fix_by) + dt.timedelta(days=3)


def _major(places: list[Place], workers: dict) -> None:
    """One major hazard, found last week through the service: its request goes to the
    emergency bureau."""
    enterprise = next((p for p in places if p.kind == PlaceKind.ENTERPRISE), None)
    by = workers.get(enterprise.grid_id) if enterprise else None
    if enterprise is None or by is None:
        return
    items = list(ChecklistItem.objects.filter(place_kind=enterprise.kind, active=True))
    answers = [
        Answer(
            item_id=i.pk,
            passed=not (i.major and i.category == "escape"),
            note=""
            if not (i.major and i.category == "escape")
            else "安全出口被货物堵死，仓库内住人",
            photos=[_photo()] if i.major and i.category == "escape" else [],
        )
        for i in items
    ]
    try:
        record_patrol(
            by=by,
            place=enterprise,
            answers=answers,
            notes="企业负责人已当场约谈",
            responsible_name="王建国",
            responsible_phone="13900001234",
            at=timezone.now() - dt.timedelta(days=5),
        )
    except (ValidationError, PermissionDenied):
        # A demo without the grid worker's post still seeds the rest.
        return


def _photo() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (150, 110, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile("exit.jpg", buffer.getvalue(), content_type="image/jpeg")
