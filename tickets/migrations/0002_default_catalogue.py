"""The default catalogue of matters, departments and the 2024–2026 calendar."""

from django.db import migrations

from tickets.catalogue import fill_defaults


def load(apps, schema_editor):
    fill_defaults(*(apps.get_model("tickets", name)
                    for name in ("Department", "Category", "Matter", "CalendarDay")))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
