import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def purge_signins() -> None:
    """Daily: sign-ins older than the kept period and rows of sessions that have ended."""
    from accounts.signins import purge

    signins, sessions = purge()
    logger.info("purged %s sign-ins and %s ended sessions", signins, sessions)
