from celery import shared_task

from grids import tallies


@shared_task(ignore_result=True)
def refresh_grid_tally(grid_id: int) -> None:
    tallies.refresh_tallies(grid_ids=[grid_id])


@shared_task(ignore_result=True)
def refresh_all_tallies() -> None:
    tallies.refresh_tallies()


@shared_task(ignore_result=True)
def fold_register_marks() -> None:
    from grids import list_cache

    list_cache.fold()


@shared_task(ignore_result=True)
def end_sessions_after_last_post() -> None:
    """Nightly: sessions of people whose last post ended by its end date (grids/sessions.py)."""
    from grids.sessions import end_sessions_after_last_post as sweep

    sweep()
