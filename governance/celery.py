"""The Celery application and the one schedule of every periodic job.

Each periodic task here also runs by hand as a management command, so an
operator can trigger or replay it without a broker.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Proves beat and a worker are alive: /healthz reads the time it last ran.
    "beat-tick": {"task": "core.tasks.beat_tick", "schedule": 60.0},
    # Per-grid household and resident counts behind every page above a grid.
    "refresh-tallies": {"task": "grids.tasks.refresh_all_tallies", "schedule": 15 * 60.0},
    # The household and resident lists' version (grids/list_cache.py): each grid's marks
    # folded into one, so reading an area's version stays a sum over about one row per grid.
    "fold-register-marks": {"task": "grids.tasks.fold_register_marks", "schedule": 60.0},
    # The dispatch board's kept counts (tickets/board_tallies.py): each area's rows summed
    # into one, and a nightly recount from the requests that heals any drift.
    # Every minute: the board reads the sum of the rows (and its version) on every page, and
    # a burst of writes (a mass hand-over) leaves thousands of rows to sum until folded.
    "fold-board-tallies": {"task": "tickets.tasks.fold_board_tallies", "schedule": 60.0},
    "refresh-board-tallies": {
        "task": "tickets.tasks.refresh_board_tallies",
        "schedule": crontab(hour=3, minute=5),
    },
    # Reminders, overdue notices, the 吹哨 escalation ladder, unclaimed micro-wishes and
    # closing unrated requests: one sweep of what is due (tickets/sweep.py).
    "sweep-deadlines": {"task": "tickets.tasks.sweep_deadlines", "schedule": 60.0},
    # Deliveries held for quiet hours, backing off, or never enqueued (broker was down).
    "send-due-deliveries": {"task": "notifications.tasks.send_due_deliveries", "schedule": 60.0},
    # The daily digest; hourly so that a beat that was down at DIGEST_HOUR catches up.
    "send-digests": {"task": "tickets.tasks.send_digests", "schedule": crontab(minute=5)},
    # Proof that each points balance is the sum of its ledger (logs any that is not).
    "check-balances": {
        "task": "points.tasks.check_balances",
        "schedule": crontab(hour=3, minute=17),
    },
    # The dashboards' daily rollups follow the request timeline and the visits.
    "refresh-rollups": {"task": "dashboards.tasks.refresh_rollups", "schedule": 5 * 60.0},
    # Coverage, staffing and members per area (heavier: the 15-minute circle for every grid).
    "refresh-standing": {"task": "dashboards.tasks.refresh_standing", "schedule": 15 * 60.0},
    # Activities edited after the fact move no watermark: recount the recent days nightly.
    "rebuild-recent-rollups": {
        "task": "dashboards.tasks.rebuild_recent_rollups",
        "schedule": crontab(hour=2, minute=40),
    },
    # Imports whose message was lost (broker away) are queued again; dead ones are marked.
    "resume-imports": {"task": "onboarding.tasks.resume_imports", "schedule": 5 * 60.0},
    # Points lapse at the end of their scheme's period by expiry entries (never deletion).
    "expire-points": {"task": "points.tasks.expire_points", "schedule": crontab(hour=0, minute=20)},
    # Sign-in history kept 180 days; expired sessions and their rows (accounts/signins.py).
    "purge-signins": {
        "task": "accounts.tasks.purge_signins",
        "schedule": crontab(hour=4, minute=10),
    },
    # What has outlived its retention period goes, kind by kind (core/retention.py).
    "apply-retention": {
        "task": "core.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=40),
    },
    # Posts given an end date ahead: their holders are signed out once the last one ends.
    "end-sessions-after-last-post": {
        "task": "grids.tasks.end_sessions_after_last_post",
        "schedule": crontab(hour=0, minute=5),
    },
    # Grid workers' scorecards: this month's and last month's drafts (published stay frozen).
    "compute-scorecards": {
        "task": "appraisal.tasks.compute_scorecards",
        "schedule": crontab(hour=1, minute=30),
    },
    # The career ladder: promotions proposed once a month, after the month's scorecards.
    "propose-promotions": {
        "task": "appraisal.tasks.propose_promotions",
        "schedule": crontab(day_of_month=2, hour=2, minute=0),
    },
    # Mediation: the mediator hears of a follow-up visit falling due (30 days after closing).
    "remind-mediation-follow-ups": {
        "task": "mediation.tasks.remind_mediation_follow_ups",
        "schedule": crontab(hour=8, minute=10),
    },
    # Safety hazards past their fix-by date escalate: grid and community, then the street.
    "sweep-hazards": {"task": "safety.tasks.sweep_hazards", "schedule": 5 * 60.0},
    # Residents' photos whose own task was lost (broker down at the time): tickets/photos.py.
    "process-waiting-photos": {
        "task": "tickets.tasks.process_waiting_photos",
        "schedule": 2 * 60.0,
    },
}


@beat_init.connect
def _tick_on_start(sender=None, **kwargs):
    # The first interval would otherwise leave /healthz red for a minute after start.
    sender.app.send_task("core.tasks.beat_tick")


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_format(logger=None, **kwargs):
    """A worker logs where Celery was told (``--logfile``, which operators and the real-worker
    tests read, or stderr), in LOG_FORMAT, each line with the id of the request whose task it
    runs. Celery's own handlers are kept for the first; only their format is ours."""
    from django.conf import settings

    from core.logs import JsonFormatter, RequestIdFilter

    for handler in logger.handlers:
        handler.addFilter(RequestIdFilter())
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())
