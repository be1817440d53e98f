"""Thin Celery tasks: they take ids (or nothing), and the functions they call re-check the
database, so a retried or duplicated task changes nothing. Each periodic one is in
governance/celery.py and has a management command of the same name."""

from celery import shared_task


@shared_task(ignore_result=True)
def sweep_deadlines() -> None:
    """Reminders, overdue notices, escalations, unclaimed wishes and auto-closing."""
    from tickets import sweep

    sweep.sweep()


@shared_task(ignore_result=True)
def send_digests() -> None:
    """The daily digest, once the configured hour has come (idempotent per day and person)."""
    from tickets import digest

    digest.send_digests()


# A resident's photo and the sweep behind it (tickets/photos.py): defined beside the code they
# run, so that ``services`` enqueues one without importing this module (which imports the
# sweep, which imports ``services``); named and discovered here like every other task.
from tickets.photos import process_photo, process_waiting_photos  # noqa: E402, F401


@shared_task(ignore_result=True)
def fold_board_tallies() -> None:
    """The board's kept counts: each area's rows summed into one (the trigger only inserts)."""
    from tickets import board_tallies

    board_tallies.fold()


@shared_task(ignore_result=True)
def refresh_board_tallies() -> None:
    """The board's kept counts recounted from the requests (heals any drift)."""
    from tickets import board_tallies

    board_tallies.refresh_board_tallies()
