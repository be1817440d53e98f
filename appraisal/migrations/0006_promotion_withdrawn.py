from django.db import migrations, models

# Issue 23: a proposal still open when an officer sets the worker's grade by hand is withdrawn.


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0005_care_on_time"),
    ]

    operations = [
        migrations.AlterField(
            model_name="promotion",
            name="state",
            field=models.CharField(
                choices=[
                    ("proposed", "Proposed"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="proposed",
                max_length=10,
                verbose_name="state",
            ),
        ),
    ]
