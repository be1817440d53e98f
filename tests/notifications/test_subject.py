"""What notifications know of what they are about: a subject (content type and id) that the
sending app passes, and the words that app registers for its kinds."""

import pytest
from django.contrib.contenttypes.models import ContentType

from notifications import texts
from notifications.models import Delivery, NoticeKind, Notification
from notifications.notify import notify
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_notification_stores_its_subject_and_keeps_the_key_it_always_had(ticket, own_worker):
    notify(
        kind=NoticeKind.ASSIGNED,
        recipients=[own_worker],
        subject=ticket,
        deadline_version=3,
        params={"code": ticket.short_code},
        robots=False,
    )
    (notification,) = Notification.objects.all()
    assert notification.subject_type == ContentType.objects.get_for_model(Ticket)
    assert notification.subject_id == ticket.pk
    assert notification.subject == ticket
    # Keys written before notifications were an app of their own still match new ones.
    assert notification.key == f"assigned:t{ticket.pk}:v3:l0:u{own_worker.pk}"


def test_deleting_the_subject_deletes_its_notifications_and_their_deliveries(
    failed_delivery, ticket
):
    other = Notification.objects.create(key="digest", kind=NoticeKind.DIGEST)
    ticket.delete()
    assert list(Notification.objects.all()) == [other]
    assert not Delivery.objects.exists()


def test_a_kind_is_described_by_the_app_that_registered_it(own_notification, monkeypatch):
    text = texts.describe(own_notification)
    assert text.title == f"Request {own_notification.subject.short_code}: 50% of the time is used"

    monkeypatch.setattr(texts, "_describers", {})
    fallback = texts.describe(own_notification)
    assert fallback == texts.Text(
        title="Reminder before a deadline", body="", link="/notifications/"
    )


def test_the_worker_finds_every_scheduled_task_and_the_delivery_task():
    from governance.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks)
    assert "notifications.tasks.send_due_deliveries" in scheduled
    assert "notifications.delivery.deliver_task" in app.tasks
