import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def check_balances() -> None:
    """Nightly proof that every cached balance is the sum of its ledger entries."""
    from points.services import check_balances as check

    for pk, cached, actual in check():
        logger.error("points account %s: cached %s, ledger sum %s", pk, cached, actual)
