"""The models that were the tickets app's until its migration 0007, taken over where they are:
only Django's record of them is created here, over the existing tickets_* tables; the content
types follow, so that permissions and generic relations keep pointing at them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["notification", "delivery", "channelpreference", "webhooktarget"]


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model__in=MODELS).update(app_label=new)


def forwards(apps, schema_editor):
    _relabel(apps, "tickets", "notifications")


def backwards(apps, schema_editor):
    _relabel(apps, "notifications", "tickets")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('grids', '0001_initial'),
        ('tickets', '0007_notifications_and_calendar_move_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('wecom', 'WeCom group robot'), ('dingtalk', 'DingTalk group robot')], max_length=20, verbose_name='channel')),
                        ('url', models.URLField(max_length=500, verbose_name='webhook URL')),
                        ('secret', models.CharField(blank=True, help_text='DingTalk 加签 secret; leave empty for WeCom.', max_length=200, verbose_name='signing secret')),
                        ('active', models.BooleanField(default=True, verbose_name='active')),
                        ('area', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to='grids.area', verbose_name='area')),
                    ],
                    options={
                        'verbose_name': 'group robot',
                        'verbose_name_plural': 'group robots',
                        'db_table': 'tickets_webhooktarget',
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(editable=False, max_length=160, unique=True)),
                        ('kind', models.CharField(choices=[('reminder', 'Reminder before a deadline'), ('overdue', 'Deadline passed'), ('escalated', 'Escalated to you (吹哨)'), ('assigned', 'Given to you'), ('wish_unclaimed', 'Micro-wish not taken up'), ('digest', 'Daily digest')], max_length=20, verbose_name='kind')),
                        ('level', models.PositiveSmallIntegerField(default=0, verbose_name='level')),
                        ('deadline_version', models.PositiveIntegerField(default=0)),
                        ('urgent', models.BooleanField(default=False, verbose_name='urgent')),
                        ('params', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read')),
                        ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='tickets.ticket', verbose_name='request')),
                        ('webhook', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='notifications.webhooktarget', verbose_name='group robot')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'tickets_notification',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ChannelPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('reminder', 'Reminder before a deadline'), ('overdue', 'Deadline passed'), ('escalated', 'Escalated to you (吹哨)'), ('assigned', 'Given to you'), ('wish_unclaimed', 'Micro-wish not taken up'), ('digest', 'Daily digest')], max_length=20, verbose_name='kind')),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('wecom', 'WeCom group robot'), ('dingtalk', 'DingTalk group robot'), ('sms', 'Text message')], max_length=20, verbose_name='channel')),
                        ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='channel_preferences', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'channel preference',
                        'verbose_name_plural': 'channel preferences',
                        'db_table': 'tickets_channelpreference',
                        'constraints': [models.UniqueConstraint(fields=('user', 'kind', 'channel'), name='preference_once')],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('wecom', 'WeCom group robot'), ('dingtalk', 'DingTalk group robot'), ('sms', 'Text message')], max_length=20, verbose_name='channel')),
                        ('state', models.CharField(choices=[('pending', 'Waiting to be sent'), ('held', 'Held for quiet hours'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10, verbose_name='state')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='next attempt')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                        ('last_error', models.CharField(blank=True, max_length=500, verbose_name='last error')),
                        ('idempotency_key', models.CharField(editable=False, max_length=200, unique=True)),
                        ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.notification')),
                    ],
                    options={
                        'verbose_name': 'delivery',
                        'verbose_name_plural': 'deliveries',
                        'db_table': 'tickets_delivery',
                        'ordering': ['-pk'],
                        'indexes': [models.Index(condition=models.Q(('state__in', ['pending', 'held'])), fields=['next_attempt_at'], name='delivery_due')],
                        'constraints': [models.UniqueConstraint(fields=('notification', 'channel'), name='delivery_once')],
                    },
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', '-created_at'], name='notification_inbox'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient'], name='notification_unread'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
