import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from notifications.models import NoticeKind, Notification
from safety import services
from safety.sweep import STREET_AFTER_DAYS, sweep

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _told(level: int) -> set[str]:
    return set(
        Notification.objects.filter(kind=NoticeKind.HAZARD_OVERDUE, level=level).values_list(
            "recipient__username", flat=True
        )
    )


def test_an_overdue_hazard_escalates_once_then_to_the_street(
    safety_hazard, own_worker, community_officer, street_officer, neighbour_worker
):
    assert sweep() == 0  # not yet due
    after = safety_hazard.fix_by + dt.timedelta(days=1)
    with time_machine.travel(_at(after)):
        sweep()
        sweep()  # exactly once
    assert _told(1) == {"own_worker", "community_officer"}
    assert Notification.objects.filter(level=1, recipient=own_worker).count() == 1
    safety_hazard.refresh_from_db()
    assert safety_hazard.escalation_level == 1
    with time_machine.travel(_at(after + dt.timedelta(days=STREET_AFTER_DAYS, hours=1))):
        call_command("sweep_hazards", stdout=None)
        sweep()
    assert _told(2) == {"street_officer"}
    safety_hazard.refresh_from_db()
    assert (safety_hazard.escalation_level, safety_hazard.next_check_at) == (2, None)
    assert Notification.objects.filter(kind=NoticeKind.HAZARD_OVERDUE).count() == 3


def test_a_hazard_marked_fixed_is_not_chased(safety_hazard, own_worker):
    services.mark_fixed(by=own_worker, hazard=safety_hazard, note="已更换")
    with time_machine.travel(_at(safety_hazard.fix_by + dt.timedelta(days=10))):
        assert sweep() == 0


def test_a_new_round_is_chased_again(safety_hazard, own_worker):
    after = safety_hazard.fix_by + dt.timedelta(days=1)
    with time_machine.travel(_at(after)):
        sweep()
        services.recheck(by=own_worker, hazard=safety_hazard, passed=False)
    safety_hazard.refresh_from_db()
    with time_machine.travel(_at(safety_hazard.fix_by + dt.timedelta(days=1))):
        sweep()
    assert Notification.objects.filter(recipient=own_worker, level=1).count() == 2


def test_the_notice_links_to_the_hazard(safety_hazard, own_worker, client):
    with time_machine.travel(_at(safety_hazard.fix_by + dt.timedelta(days=1))):
        sweep()
    notification = Notification.objects.get(recipient=own_worker)
    client.force_login(own_worker)
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/safety/hazard/{safety_hazard.pk}/"
