from celery import shared_task

from grids import tallies


@shared_task(ignore_result=True)
def refresh_grid_tally(grid_id: int) -> None:
    tallies.refresh_tallies(grid_ids=[grid_id])


@shared_task(ignore_result=True)
def refresh_all_tallies() -> None:
    tallies.refresh_tallies()
