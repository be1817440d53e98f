"""The checklists and patrol intervals a district starts with (loaded by a data migration,
and again by ``safety.demo.load_defaults`` where a test's flush emptied the tables)."""

# place kind -> [(category, text, photo when failed, failure is major)]
CHECKLISTS = {
    "enterprise": [
        ("fire", "灭火器配置齐全且在有效期内", True, False),
        ("fire", "消防栓、喷淋设施完好，无遮挡", True, False),
        ("escape", "疏散通道、安全出口畅通，无堆物", True, True),
        ("escape", "应急照明和疏散指示标志完好", False, False),
        ("electricity", "电线无私拉乱接，配电箱完好有防护", True, False),
        ("gas", "燃气、危化品存放规范，有专人管理", True, True),
        ("other", "员工安全培训和消防演练有记录", False, False),
        ("other", "生产、仓储、住宿未混设（无“三合一”）", True, True),
    ],
    "shop": [
        ("fire", "灭火器在有效期内，放置在明显位置", True, False),
        ("gas", "燃气管道、软管无老化，报警器正常", True, True),
        ("electricity", "电线无私拉乱接，无超负荷用电", True, False),
        ("escape", "疏散通道畅通，门口无堆物", True, False),
        ("other", "店内无电动车停放、充电", True, False),
    ],
    "public": [
        ("fire", "消防器材齐全完好", True, False),
        ("escape", "安全出口、疏散通道畅通", True, True),
        ("electricity", "公共照明和电气线路完好", False, False),
        ("other", "健身器材、护栏等设施无破损", True, False),
    ],
    "hazard": [
        ("other", "隐患点警示标志、围挡完好", True, False),
        ("other", "隐患未扩大，无人员靠近风险", True, True),
    ],
}

INTERVALS = {"enterprise": 30, "shop": 60, "public": 90, "hazard": 30}


def load(ChecklistItem, PatrolPlan) -> None:
    """Fill empty tables (models may be historical ones)."""
    if not ChecklistItem.objects.exists():
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                place_kind=kind,
                category=category,
                text=text,
                order=(n + 1) * 10,
                photo_on_fail=photo,
                major=major,
            )
            for kind, rows in CHECKLISTS.items()
            for n, (category, text, photo, major) in enumerate(rows)
        )
    if not PatrolPlan.objects.exists():
        PatrolPlan.objects.bulk_create(
            PatrolPlan(place_kind=kind, interval_days=days) for kind, days in INTERVALS.items()
        )
