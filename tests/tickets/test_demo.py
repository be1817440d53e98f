"""The demo's requests are on the deadline sweep's timeline from the start."""

import io

import pytest
from django.core.management import call_command

from notifications.models import NoticeKind, Notification
from tickets import sweep
from tickets.models import OPEN_STATUSES, Status, Ticket

pytestmark = pytest.mark.django_db


def test_the_first_sweep_of_the_demo_fills_the_community_officers_bell(django_user_model):
    call_command("seed_demo", stdout=io.StringIO())
    waiting = Ticket.objects.filter(status__in=OPEN_STATUSES).exclude(status=Status.SUSPENDED)
    assert not waiting.filter(next_check_at__isnull=True).exists()
    run = sweep.sweep()
    assert run.claimed and run.notifications and run.escalations
    community = Notification.objects.filter(recipient__username="community")
    assert community.filter(kind=NoticeKind.ESCALATED).exists()
    assert sweep.sweep().notifications == 0  # caught up: the next minute has nothing new
