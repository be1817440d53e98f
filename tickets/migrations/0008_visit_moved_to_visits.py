# Visit moved from grids to the visits app (issue 17); the column and its foreign key stay.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0007_notifications_and_calendar_move_out"),
        ("visits", "0001_initial"),
    ]
    run_before = [("grids", "0003_visits_moved_out")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="visit",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="visits.visit",
                        verbose_name="visit",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
