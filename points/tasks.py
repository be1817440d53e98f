import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def check_balances() -> None:
    """Nightly proof that every cached balance is the sum of its ledger entries."""
    from points.services import check_balances as check

    for pk, cached, actual in check():
        logger.error("points account %s: cached %s, ledger sum %s", pk, cached, actual)


@shared_task(ignore_result=True)
def expire_points() -> None:
    """Daily: points that reached the end of their scheme's period lapse (idempotent)."""
    from points.services import expire_points as expire

    lapsed = expire()
    if lapsed:
        logger.info("points lapsed on %s accounts", lapsed)
