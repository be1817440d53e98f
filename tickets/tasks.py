import datetime as dt

from celery import shared_task
from django.utils import timezone

from tickets import services
from tickets.models import Status, Ticket


def close_unrated_now(now: dt.datetime | None = None) -> int:
    """Close every resolved request left unrated for AUTO_CLOSE_DAYS; each re-checks its row."""
    now = now or timezone.now()
    due = Ticket.objects.filter(
        status=Status.RESOLVED,
        resolved_at__lte=now - dt.timedelta(days=services.AUTO_CLOSE_DAYS),
    ).values_list("pk", flat=True)
    return sum(services.auto_close(ticket_id=pk, now=now) for pk in list(due[:5000]))


@shared_task(ignore_result=True)
def close_unrated() -> None:
    close_unrated_now()
