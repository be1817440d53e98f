"""Issue 24 (safety patrols): the catalogue's matter for a major hazard a patrol finds, filed to
the emergency department, added to databases whose catalogue was loaded before it existed."""

from django.db import migrations

from tickets.catalogue import CATALOGUE


def add_major_hazard(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    Department = apps.get_model("tickets", "Department")
    Matter = apps.get_model("tickets", "Matter")
    if not Category.objects.exists():
        return  # an empty catalogue is loaded whole, with this matter, by fill_defaults
    for order, (code, en, zh, matters) in enumerate(CATALOGUE, start=1):
        for entry in matters:
            if entry[0] != "major_hazard":
                continue
            m_code, m_en, m_zh, owner, dept, response, r_unit, completion, c_unit, photo, points = (
                entry
            )
            department = Department.objects.filter(code=dept).first()
            if department is None:
                return
            category, _ = Category.objects.get_or_create(
                code=code, defaults={"name_en": en, "name_zh": zh, "order": order}
            )
            Matter.objects.get_or_create(
                code=m_code,
                defaults={
                    "category": category,
                    "name_en": m_en,
                    "name_zh": m_zh,
                    "owner_level": owner,
                    "department": department,
                    "response_limit": response,
                    "response_unit": r_unit,
                    "completion_limit": completion,
                    "completion_unit": c_unit,
                    "photo_required": photo,
                    "earns_points": points,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_estates_property_owner"),
    ]

    operations = [migrations.RunPython(add_major_hazard, migrations.RunPython.noop)]
