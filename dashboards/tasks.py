from celery import shared_task


@shared_task(ignore_result=True)
def refresh_rollups() -> None:
    """Every few minutes: recompute the days the timeline and the visits have touched."""
    from dashboards.rollup import refresh

    refresh()


@shared_task(ignore_result=True)
def refresh_standing() -> None:
    """Every 15 minutes: how every area stands now (coverage, staffing, members)."""
    from dashboards.standing import refresh_standing

    refresh_standing()


@shared_task(ignore_result=True)
def rebuild_recent_rollups() -> None:
    """Nightly: recount the last 35 days whole, for edits that move no watermark."""
    from django.core.management import call_command

    call_command("rebuild_rollups", days=35)
