"""Notifications, deliveries, channel preferences and group robots are the notifications app's
now, and the working-day calendar is core's. Only Django's record of the models moves: the
tables stay where they are, under their tickets_* names (notifications' 0001 and core's 0002
take them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0006_ticket_visit'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='CalendarDay',
                ),
                migrations.RemoveField(
                    model_name='delivery',
                    name='notification',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='webhook',
                ),
                migrations.RemoveField(
                    model_name='webhooktarget',
                    name='area',
                ),
                migrations.DeleteModel(
                    name='ChannelPreference',
                ),
                migrations.DeleteModel(
                    name='Delivery',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='WebhookTarget',
                ),
            ],
            database_operations=[],
        ),
    ]
