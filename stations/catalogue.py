"""The default catalogues of services and facilities: data that offices then edit in the
admin. Filled by a data migration, and again by the demo when a test database was flushed."""

from __future__ import annotations

SERVICES = [
    ("party_affairs", "Party affairs", "党务服务"),
    ("government", "Government services", "政务服务"),
    ("mediation", "Mediation and comprehensive governance", "综治调解"),
    ("elderly_meals", "Elderly meals", "老年助餐"),
    ("after_school", "After-school class", "四点半课堂"),
    ("legal_aid", "Legal aid", "法律援助"),
    ("health", "Health services", "健康服务"),
    ("employment", "Employment services", "就业服务"),
    ("volunteer", "Volunteer services", "志愿服务"),
    ("civility", "Civility practice", "新时代文明实践"),
    ("day_care", "Elderly day care", "日间照料"),
    ("counselling", "Psychological counselling", "心理咨询"),
    ("rider_care", "Care for delivery riders", "骑手关爱"),
]

FACILITIES = [
    ("rest_area", "Rest area", "休息区"),
    ("drinking_water", "Drinking water", "饮用水"),
    ("charging", "Phone and e-bike charging", "充电设施"),
    ("first_aid", "First-aid kit", "急救药箱"),
    ("microwave", "Microwave", "微波炉"),
    ("toilet", "Toilet", "卫生间"),
    ("wifi", "Wi-Fi", "无线网络"),
    ("reading", "Reading corner", "阅读角"),
    ("umbrella", "Loan umbrellas", "爱心雨伞"),
    ("toolkit", "Repair toolkit", "便民工具箱"),
    ("air_conditioning", "Air conditioning", "空调"),
    ("accessible", "Step-free access", "无障碍通道"),
]


def fill_defaults(service_model, facility_model) -> None:
    """Fill each catalogue with the defaults if it is empty (historical models work too)."""
    for model, rows in ((service_model, SERVICES), (facility_model, FACILITIES)):
        if model.objects.exists():
            continue
        model.objects.bulk_create(
            model(code=code, name_en=en, name_zh=zh, order=(index + 1) * 10)
            for index, (code, en, zh) in enumerate(rows)
        )
