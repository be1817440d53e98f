"""A notification is about a generic subject (a content type and an id) instead of a ticket:
the ticket_id column stays, as a plain integer without its foreign key, and every row that had
a ticket gets the ticket's content type. Tickets delete their notifications through a
GenericRelation, as the foreign key's CASCADE did."""

import django.db.models.deletion
from django.db import migrations, models


def tickets_as_subjects(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.filter(ticket__isnull=False)
    if not rows.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    ticket_type, _ = ContentType.objects.get_or_create(app_label="tickets", model="ticket")
    rows.update(subject_type=ticket_type)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='subject_type',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='subject type'),
        ),
        migrations.RunPython(tickets_as_subjects, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='notification',
            name='ticket',
            field=models.PositiveBigIntegerField(blank=True, db_column='ticket_id', db_index=True, null=True, verbose_name='subject id'),
        ),
        migrations.RenameField(
            model_name='notification',
            old_name='ticket',
            new_name='subject_id',
        ),
    ]
