# The visit models moved here from grids (issue 17). Their tables keep the names they had
# there, so this migration changes only Django's state, and points the content types (and so
# permissions and audit log entries) at the new app.

import core.images
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["place", "visit", "visitphoto", "visitplan"]


def _move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        # Skipped where the target exists already: that row then stays as it was.
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "grids", "visits")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "visits", "grids")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("grids", "0002_visits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    # grids forgets its copies of these models only once this app and tickets know them here.
    run_before = [("grids", "0003_visits_moved_out")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Place',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('kind', models.CharField(choices=[('shop', 'Shop or restaurant'), ('enterprise', 'Enterprise or workshop'), ('public', 'Public place'), ('hazard', 'Known hazard')], max_length=20, verbose_name='kind')),
                        ('address', models.CharField(blank=True, max_length=200, verbose_name='address')),
                        ('active', models.BooleanField(default=True, verbose_name='active')),
                        ('last_visited_at', models.DateTimeField(blank=True, null=True, verbose_name='last patrolled')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('grid', models.ForeignKey(limit_choices_to={'level': 'grid'}, on_delete=django.db.models.deletion.PROTECT, related_name='places', to='grids.area', verbose_name='grid')),
                    ],
                    options={
                        'verbose_name': 'place',
                        'verbose_name_plural': 'places',
                        'db_table': 'grids_place',
                        'ordering': ['grid__path', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='Visit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('client_id', models.UUIDField(editable=False, unique=True, verbose_name='client id')),
                        ('kind', models.CharField(choices=[('routine', 'Routine visit'), ('care', 'Care visit'), ('patrol', 'Patrol (巡查)'), ('mediation', 'Mediation'), ('publicity', 'Policy publicity')], max_length=20, verbose_name='kind')),
                        ('visited_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='visited')),
                        ('people_met', models.CharField(blank=True, max_length=200, verbose_name='people met')),
                        ('findings', models.TextField(blank=True, max_length=2000, verbose_name='what was found')),
                        ('tags', models.JSONField(blank=True, default=list, verbose_name='quick picks')),
                        ('longitude', models.FloatField(blank=True, null=True, verbose_name='longitude')),
                        ('latitude', models.FloatField(blank=True, null=True, verbose_name='latitude')),
                        ('follow_up', models.BooleanField(default=False, verbose_name='follow-up needed')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='received')),
                        ('by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to=settings.AUTH_USER_MODEL, verbose_name='visited by')),
                        ('grid', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='grids.area', verbose_name='grid')),
                        ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='grids.household', verbose_name='household')),
                        ('place', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='visits.place', verbose_name='place')),
                    ],
                    options={
                        'verbose_name': 'visit',
                        'verbose_name_plural': 'visits',
                        'db_table': 'grids_visit',
                        'ordering': ['-visited_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='VisitPhoto',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('image', models.ImageField(storage=core.images.private_storage, upload_to='visits/%Y/%m/', verbose_name='photo')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('visit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='visits.visit', verbose_name='visit')),
                    ],
                    options={
                        'verbose_name': 'visit photo',
                        'verbose_name_plural': 'visit photos',
                        'db_table': 'grids_visitphoto',
                    },
                ),
                migrations.CreateModel(
                    name='VisitPlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('routine_days', models.PositiveSmallIntegerField(default=90, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(366)], verbose_name='every household, every (days)')),
                        ('care_days', models.JSONField(blank=True, default=dict, verbose_name='care categories (days)')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('community', models.OneToOneField(limit_choices_to={'level__in': ['community', 'village']}, on_delete=django.db.models.deletion.CASCADE, related_name='visit_plan', to='grids.area', verbose_name='community')),
                    ],
                    options={
                        'verbose_name': 'visit plan',
                        'verbose_name_plural': 'visit plans',
                        'db_table': 'grids_visitplan',
                    },
                ),
                migrations.AddConstraint(
                    model_name='place',
                    constraint=models.UniqueConstraint(fields=('grid', 'name'), name='place_unique_name'),
                ),
                migrations.AddIndex(
                    model_name='visit',
                    index=models.Index(fields=['grid', 'visited_at'], name='visit_grid_time'),
                ),
                migrations.AddIndex(
                    model_name='visit',
                    index=models.Index(fields=['by', 'visited_at'], name='visit_by_time'),
                ),
                migrations.AddConstraint(
                    model_name='visit',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('household__isnull', False), ('place__isnull', True)), models.Q(('household__isnull', True), ('place__isnull', False)), _connector='OR'), name='visit_household_or_place'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
