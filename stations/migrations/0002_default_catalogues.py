"""Default services and facilities. They are data: offices rename, add and retire entries
in the admin; this migration only fills an empty catalogue once."""

from django.db import migrations

from stations.catalogue import fill_defaults


def fill(apps, schema_editor):
    fill_defaults(apps.get_model("stations", "ServiceType"), apps.get_model("stations", "Facility"))


class Migration(migrations.Migration):
    dependencies = [("stations", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
