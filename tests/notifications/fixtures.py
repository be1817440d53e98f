"""Notification fixtures: the own-grid worker's reminder about the G1 request (tickets'
fixtures) and a delivery of it that failed."""

import pytest


@pytest.fixture
def own_notification(ticket, own_worker):
    """The own-grid worker's unread reminder about the G1 request (the bell's matrix target)."""
    from notifications.models import NoticeKind, Notification

    return Notification.objects.create(
        key=f"test:reminder:{ticket.pk}:{own_worker.pk}",
        recipient=own_worker,
        subject=ticket,
        kind=NoticeKind.REMINDER,
        level=50,
        params={
            "code": ticket.short_code,
            "stage": "response",
            "due": ticket.response_due.isoformat(),
        },
    )


@pytest.fixture
def failed_delivery(own_notification):
    """An email to the own-grid worker that ran out of attempts."""
    from notifications.models import Delivery, NoticeChannel

    return Delivery.objects.create(
        notification=own_notification,
        channel=NoticeChannel.EMAIL,
        state=Delivery.State.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        idempotency_key=f"{own_notification.key}:email",
    )
