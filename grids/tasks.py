from celery import shared_task

from grids import services


@shared_task(ignore_result=True)
def refresh_grid_tally(grid_id: int) -> None:
    services.refresh_tallies(grid_ids=[grid_id])


@shared_task(ignore_result=True)
def refresh_all_tallies() -> None:
    services.refresh_tallies()
