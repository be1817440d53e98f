"""A visit plan belongs to an area: a community's own, or a street's default for its
communities (issue 20). Existing plans are all communities' and keep their rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0002_visits"),
        ("visits", "0002_private_photo"),
    ]

    operations = [
        migrations.RenameField(model_name="visitplan", old_name="community", new_name="area"),
        migrations.AlterField(
            model_name="visitplan",
            name="area",
            field=models.OneToOneField(
                limit_choices_to={"level__in": ("community", "village", "street", "town")},
                on_delete=django.db.models.deletion.CASCADE,
                related_name="visit_plan",
                to="grids.area",
                verbose_name="area",
            ),
        ),
    ]
