from celery import shared_task


@shared_task(ignore_result=True)
def refresh_rollups() -> None:
    """Every few minutes: recompute the days the timeline and the visits have touched."""
    from dashboards.rollup import refresh

    refresh()
