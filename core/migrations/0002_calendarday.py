"""The working-day calendar is core's: only Django's record of the model is created here, over
the tickets_calendarday table the tickets app made (its migration 0007 lets go of it); the
content type follows."""

from django.db import migrations, models


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model="calendarday").update(app_label=new)


def forwards(apps, schema_editor):
    _relabel(apps, "tickets", "core")


def backwards(apps, schema_editor):
    _relabel(apps, "core", "tickets")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0001_initial'),
        ('tickets', '0007_notifications_and_calendar_move_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CalendarDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='date')),
                        ('is_workday', models.BooleanField(verbose_name='working day')),
                        ('note', models.CharField(blank=True, max_length=50, verbose_name='note')),
                    ],
                    options={
                        'verbose_name': 'calendar day',
                        'verbose_name_plural': 'calendar days',
                        'db_table': 'tickets_calendarday',
                        'ordering': ['date'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
