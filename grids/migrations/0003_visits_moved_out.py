# The visit models moved to the visits app (issue 17), whose first migration takes them over
# with their tables (grids_visit …) as they are: grids only forgets them here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("grids", "0002_visits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="VisitPhoto"),
                migrations.DeleteModel(name="Visit"),
                migrations.DeleteModel(name="Place"),
                migrations.DeleteModel(name="VisitPlan"),
            ],
            database_operations=[],
        ),
    ]
