from django.db import migrations


def load_defaults(apps, schema_editor):
    from safety.defaults import load

    load(apps.get_model("safety", "ChecklistItem"), apps.get_model("safety", "PatrolPlan"))


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
