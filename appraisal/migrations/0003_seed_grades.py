"""The default ladder, 三岗十八级: three tracks × six levels. The district edits it in the admin."""

from decimal import Decimal

from django.db import migrations

TRACKS = [
    ("full_time", "Full-time grid worker", "专职网格员"),
    ("part_time", "Part-time grid worker", "兼职网格员"),
    ("liaison", "Micro-grid liaison", "微网格员"),
]
LEVEL_ZH = ["一", "二", "三", "四", "五", "六"]
# Level: (years in post, average of the last 12 published months, published months).
RULES = {
    1: (0, 0, 0),
    2: (1, 75, 6),
    3: (3, 80, 12),
    4: (5, 85, 12),
    5: (8, 88, 12),
    6: (12, 90, 12),
}


def seed(apps, schema_editor):
    Grade = apps.get_model("appraisal", "Grade")
    rows = []
    for t, (track, en, zh) in enumerate(TRACKS):
        for level in range(1, 7):
            years, average, months = RULES[level]
            rows.append(
                Grade(
                    track=track,
                    level=level,
                    name_en=f"{en}, grade {level}",
                    name_zh=f"{zh}{LEVEL_ZH[level - 1]}级",
                    position=t * 10 + level,
                    min_years=Decimal(years),
                    min_average=Decimal(average),
                    min_months=months,
                )
            )
    Grade.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0002_ladder")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
