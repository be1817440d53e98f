"""A year of 议事协商 in the demo's first community (QH-S01-C01): topics raised by residents and
workers, meetings with their votes, decisions and their notices, 实事 projects with budgets and
progress, and the residents' ratings of those completed. Written through the services (dated in
the past), so the demo follows the same rules as the pages."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deliberation import services
from deliberation.models import Option, Project, Topic
from grids.models import Area

COMMUNITY = "QH-S01-C01"
PLACES = ["“有事好商量”协商议事室", "红色议事厅", "击鼓议事堂", "小区议事亭"]
# (title, description, options, project title or None, budget)
TOPICS = [
    (
        "3号楼加装电梯",
        "3号楼老人多，上下楼困难，希望加装电梯。",
        ["加装电梯，按楼层分摊", "暂缓"],
        "3号楼加装电梯工程",
        280000,
    ),
    (
        "地面停车位划线",
        "小区车辆乱停，消防通道被占，希望统一划线。",
        ["统一划线并编号", "维持现状"],
        "小区停车位划线改造",
        18000,
    ),
    (
        "楼道堆物清理",
        "多栋楼道堆放杂物，存在消防隐患。",
        ["集中清理并建立长效机制", "各户自行清理"],
        None,
        0,
    ),
    (
        "小区绿化改造",
        "中心花园草皮裸露，希望补种绿植。",
        ["补种绿植并设休闲座椅", "改为硬化地面"],
        "中心花园绿化提升",
        65000,
    ),
    (
        "增设健身器材",
        "老人和孩子缺少锻炼场所。",
        ["在南侧空地增设健身器材", "不增设"],
        "南区健身角建设",
        32000,
    ),
    (
        "电动自行车充电桩",
        "飞线充电危险，希望建集中充电桩。",
        ["建设集中充电棚", "暂不建设"],
        "电动自行车集中充电棚",
        46000,
    ),
    (
        "垃圾分类投放点调整",
        "投放点离5号楼太近，夏天气味大。",
        ["迁至北门空地", "增加清运频次"],
        None,
        0,
    ),
    (
        "老年助餐点",
        "独居老人吃饭难，希望设助餐点。",
        ["与社区食堂合作设助餐点", "暂缓"],
        "邻里助餐点",
        120000,
    ),
    (
        "路灯维修",
        "西区几盏路灯长期不亮，夜间出行不便。",
        ["统一更换LED路灯", "逐个维修"],
        "西区路灯更换",
        9500,
    ),
    ("宠物管理公约", "遛狗不牵绳、粪便不清理引发矛盾。", ["制定文明养宠公约", "不作规定"], None, 0),
    (
        "雨污管网疏通",
        "雨季7号楼前积水严重。",
        ["疏通并改造雨水管", "仅疏通"],
        "7号楼前雨污管网改造",
        150000,
    ),
    ("快递柜位置", "快递柜占用消防通道。", ["迁移到物业用房旁", "维持现状"], None, 0),
    (
        "儿童游乐区改造",
        "滑梯老化，存在安全隐患。",
        ["更换为新型游乐设施", "拆除"],
        "儿童游乐区改造",
        58000,
    ),
    ("楼栋门禁更换", "门禁损坏，陌生人随意进出。", ["更换人脸识别门禁", "修复原门禁"], None, 0),
    ("广场舞噪音", "晚间广场舞音量大，影响休息。", ["限定时间和音量", "换到北区场地"], None, 0),
    ("非机动车棚扩建", "车棚容量不足，车辆停到路边。", ["扩建车棚", "规范停放"], None, 0),
    ("公共晾晒区", "居民在绿化带拉绳晾晒。", ["设置公共晾晒架", "不设置"], "公共晾晒区建设", 9500),
    (
        "小区出入口改造",
        "出入口人车混行，存在安全隐患。",
        ["人车分流改造", "增设减速带"],
        "小区出入口人车分流改造",
        120000,
    ),
    (
        "二次供水水箱清洗",
        "水质有异味，希望清洗水箱。",
        ["每半年清洗一次并公示检测", "每年一次"],
        None,
        0,
    ),
    ("楼顶防水维修", "顶楼住户反映漏水。", ["申请维修基金整体维修", "个别维修"], None, 0),
    ("社区图书角", "孩子放学后无处看书。", ["在党群服务中心设图书角", "暂缓"], None, 0),
    ("外墙脱落隐患", "6号楼外墙瓷砖脱落。", ["排查并修复", "设置警示"], None, 0),
]
RESIDENTS = [
    "张秀英",
    "王建国",
    "李桂兰",
    "刘志强",
    "陈美华",
    "杨德明",
    "赵淑珍",
    "黄文斌",
    "周丽娟",
    "吴海涛",
]
COMMENTS = [
    "很实用，谢谢社区！",
    "施工期间有点吵，但效果不错。",
    "终于解决了，点赞。",
    "希望后期维护跟上。",
    "",
]


def _photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small picture of "the finished work": sky, ground and a building block, in colours
    that differ from one project to the next (no photo files ship with the demo)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 170, 320, 240), fill=(90, 150, 80))
    colour = tuple(rng.randint(120, 230) for _ in range(3))
    left = rng.randint(20, 140)
    draw.rectangle((left, 70, left + 140, 180), fill=colour, outline=(60, 60, 60), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"{name}.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed(demo, password: str) -> None:
    community = Area.objects.filter(code=COMMUNITY).first()
    if community is None:
        return
    rng = random.Random(f"{demo.scale}-deliberation")  # noqa: S311 - demo data
    grids = list(Area.objects.filter(level="grid", path__startswith=community.path))
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["worker"])}
    today = timezone.localdate()
    counts = {"topics": 0, "projects": 0, "ratings": 0}
    n = len(TOPICS)
    # Spread over the year, oldest first; the last six are recent, so the board has work at
    # every step: a project under way, one starting, a notice open for objections, a topic
    # waiting for its meeting, one declined, one just raised.
    recent = [40, 16, 13, 10, 5, 2]
    ages = [int(360 - i * 300 / (n - len(recent))) for i in range(n - len(recent))] + recent
    for i, (title, text, options, project, budget) in enumerate(TOPICS):
        raised = today - dt.timedelta(days=ages[i])
        at = timezone.make_aware(dt.datetime.combine(raised, dt.time(9 + i % 8)))
        by = users.get("worker") if i % 3 == 0 else None
        topic = services.raise_topic(
            community=community,
            grid=rng.choice(grids) if grids else None,
            title=title,
            description=text,
            name="" if by else rng.choice(RESIDENTS),
            phone="" if by else f"139{rng.randrange(10**8):08d}",
            by=None,
            at=at,
        )
        if by:
            Topic.objects.filter(pk=topic.pk).update(raised_by=by, channel=Topic.Channel.WORKER)
        counts["topics"] += 1
        age = (today - raised).days
        if i == n - 1:
            continue  # raised publicly, awaiting acceptance
        if i == n - 2:
            services.decline_topic(
                topic=topic, by=None, reason="属于个别住户私事，已转网格员上门协调。"
            )
            continue
        services.accept_topic(topic=topic, by=None, at=at + dt.timedelta(days=2))
        if age < 12:
            continue
        held = raised + dt.timedelta(days=7)
        people = {
            "residents": rng.randint(12, 40),
            "party_members": rng.randint(3, 9),
            "property_company": rng.randint(1, 3),
            "co_building_units": rng.randint(0, 4),
        }
        total = sum(people.values())
        votes_for = rng.randint(total * 6 // 10, total - 2)
        rows = [
            {
                "text": options[0],
                "votes_for": votes_for,
                "votes_against": total - votes_for - 1,
                "abstain": 1,
            },
            {
                "text": options[1],
                "votes_for": total - votes_for - 1,
                "votes_against": votes_for,
                "abstain": 1,
            },
        ]
        services.record_meeting(
            topic=topic,
            by=None,
            held_on=held,
            place=rng.choice(PLACES),
            minutes=f"居民代表充分发表意见，围绕“{title}”逐项讨论，现场举手表决。",
            options=rows,
            method=Option.Method.HANDS if i % 2 else Option.Method.PAPER,
            **people,
        )
        decided_at = timezone.make_aware(
            dt.datetime.combine(held + dt.timedelta(days=1), dt.time(16))
        )
        decision = services.decide(
            topic=topic,
            by=None,
            option=topic.options.order_by("pk").first(),
            text=f"经议事会表决通过：{options[0]}。",
            at=decided_at,
        )
        if rng.random() < 0.3:
            services.object_to(
                decision=decision,
                name=rng.choice(RESIDENTS),
                phone=f"137{rng.randrange(10**8):08d}",
                text="希望施工时间避开午休。",
                at=decided_at + dt.timedelta(days=2),
            )
        start = decision.objections_until + dt.timedelta(days=1)
        if start > today:
            continue  # still in the notice period
        if not project:
            services.close_without_project(topic=topic, by=None)
            continue
        item = services.start_project(
            topic=topic,
            by=None,
            title=project,
            budget=Decimal(budget),
            funding=rng.choice(Project.Funding.values),
            started_on=start,
        )
        counts["projects"] += 1
        span = max((today - start).days, 1)
        for step, percent in enumerate((30, 60, 90)):
            on = start + dt.timedelta(days=(step + 1) * 20)
            if on > today:
                break
            services.update_progress(
                project=item, by=None, on=on, percent=percent, note=f"完成第{step + 1}阶段施工"
            )
        if span > 80:
            done = start + dt.timedelta(days=75)
            photos = [_photo(rng, f"{item.pk}-{k}") for k in range(1 + i % 2)]
            services.complete_project(project=item, by=None, on=done, photos=photos)
            for k in range(rng.randint(5, 14)):
                services.rate_project(
                    project=item,
                    phone=f"138{rng.randrange(10**8):08d}",
                    stars=rng.choice([5, 5, 5, 4, 4, 3]),
                    comment=rng.choice(COMMENTS),
                    at=timezone.make_aware(
                        dt.datetime.combine(done + dt.timedelta(days=k + 1), dt.time(20))
                    ),
                )
                counts["ratings"] += 1
    demo.counts["deliberation topics"] = counts["topics"]
    demo.counts["实事 projects"] = counts["projects"]
    demo.counts["project ratings"] = counts["ratings"]
