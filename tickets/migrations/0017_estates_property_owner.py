"""Issue 24 (红色物业): a matter may be owned by the property company of the estate, and the
catalogue gains the two matters that are: repairs of shared facilities, service complaints."""

from django.db import migrations, models

from tickets.catalogue import CATALOGUE


def add_property_matters(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    Matter = apps.get_model("tickets", "Matter")
    for order, (code, en, zh, matters) in enumerate(CATALOGUE, start=1):
        owned = [m for m in matters if m[3] == "property"]
        if not owned:
            continue
        category, _ = Category.objects.get_or_create(
            code=code, defaults={"name_en": en, "name_zh": zh, "order": order}
        )
        for (
            m_code,
            m_en,
            m_zh,
            owner,
            _d,
            response,
            r_unit,
            completion,
            c_unit,
            photo,
            points,
        ) in owned:
            Matter.objects.get_or_create(
                code=m_code,
                defaults={
                    "category": category,
                    "name_en": m_en,
                    "name_zh": m_zh,
                    "owner_level": owner,
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
        ("tickets", "0016_resolved_by_and_on_behalf_of"),
    ]

    operations = [
        migrations.AlterField(
            model_name="matter",
            name="owner_level",
            field=models.CharField(
                choices=[
                    ("grid", "Grid"),
                    ("community", "Community"),
                    ("street", "Street"),
                    ("department", "Department"),
                    ("property", "Property company of the estate"),
                ],
                default="grid",
                max_length=20,
                verbose_name="owned by",
            ),
        ),
        migrations.RunPython(add_property_matters, migrations.RunPython.noop),
    ]
