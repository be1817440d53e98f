"""The district's default 19-item 红色物业 standard."""

from django.db import migrations

from estates.standard import fill_standard


def load(apps, schema_editor):
    fill_standard(apps.get_model("estates", "StandardItem"))


class Migration(migrations.Migration):
    dependencies = [("estates", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
