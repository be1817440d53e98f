import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def purge_signins() -> None:
    """Daily: sign-ins older than the kept period and rows of sessions that have ended."""
    from accounts.retention import KEY
    from accounts.signins import purge
    from core.retention import days_for

    # The period the district set on the retention page (core.retention), 180 days at least.
    signins, sessions = purge(days=days_for(KEY))
    logger.info("purged %s sign-ins and %s ended sessions", signins, sessions)
