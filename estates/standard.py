"""The district's default 红色物业 standard: 19 items worth 90 points (residents'
satisfaction is worth the other 10 of a rating's 100). District staff edit it in the admin."""

# code, English, Chinese, maximum score
DEFAULT_ITEMS = [
    (
        "party_org",
        "A party organisation in the company (or a joint branch)",
        "建立物业企业党组织或联合党支部",
        5,
    ),
    (
        "members_shown",
        "Party members on the staff show their identity and pledge",
        "党员员工亮身份、亮承诺",
        4,
    ),
    (
        "cross_posts",
        "Two-way entry and cross posts with the community",
        "与社区党组织“双向进入、交叉任职”",
        5,
    ),
    (
        "deliberation",
        "Takes part in the community's deliberation (议事协商)",
        "参与社区“大党委”和议事协商",
        5,
    ),
    ("volunteering", "Party members' volunteer services", "开展党员志愿服务活动", 4),
    (
        "publicity",
        "Fees, services and complaint line made public",
        "物业服务公示（收费标准、服务内容、投诉电话）",
        5,
    ),
    (
        "owners_committee",
        "Works with the owners' assembly and committee",
        "配合业主大会、业主委员会开展工作",
        4,
    ),
    ("cleaning", "Cleaning of shared areas", "公共区域保洁", 5),
    ("greenery", "Care of green spaces", "绿化养护", 5),
    ("maintenance", "Maintenance of facilities and equipment", "设施设备维护保养", 5),
    ("lifts", "Safe running of lifts", "电梯安全运行管理", 5),
    ("fire_safety", "Fire safety, escape routes kept clear", "消防安全管理与消防通道畅通", 5),
    ("order", "Order and gate keeping", "秩序维护与门岗管理", 5),
    ("parking", "Parking management", "车辆停放管理", 4),
    ("waste_sorting", "Waste sorting", "生活垃圾分类", 5),
    ("water_supply", "Secondary water supply and tank cleaning", "二次供水与水箱清洗", 4),
    ("complaints", "Complaints handled on time", "投诉处理及时率", 5),
    ("emergencies", "Handling of emergencies", "突发事件应急处置", 5),
    (
        "grid_work",
        "Helps grid workers' visits and the settling of disputes",
        "配合网格员走访与矛盾纠纷化解",
        5,
    ),
]


def fill_standard(StandardItem) -> int:
    """Add the default items that are missing (a migration's historical model works too)."""
    added = 0
    for position, (code, en, zh, max_score) in enumerate(DEFAULT_ITEMS, start=1):
        _item, created = StandardItem.objects.get_or_create(
            code=code,
            defaults={"text_en": en, "text_zh": zh, "max_score": max_score, "position": position},
        )
        added += created
    return added
