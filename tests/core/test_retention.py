"""Retention (issue 26): each kind of record kept for the district's period, never below its
floor; the nightly pass removes or anonymises what has expired, once; the audit log is
append-only in the database, and only entries past three years can be purged."""

import datetime as dt
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core import retention
from core.models import CalendarDay, RetentionPolicy, RetentionRun

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
YEAR = dt.timedelta(days=365)


def _logged_at(at: dt.datetime) -> int:
    """An audit entry written at ``at`` (inserted as such: inserts are never refused)."""
    entry = LogEntry.objects.create(
        content_type_id=_content_type_id(),
        object_pk="1",
        object_repr="x",
        action=LogEntry.Action.UPDATE,
        changes={},
        timestamp=at,
    )
    return entry.pk


def _content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(CalendarDay).pk


def test_every_app_registered_its_kinds_with_a_floor_below_the_default():
    keys = {kind.key for kind in retention.kinds()}
    assert {
        "core.audit_log",
        "accounts.signins",
        "grids.residents_gone",
        "visits.photos",
        "tickets.reporter",
        "tickets.photos",
    } <= keys
    for kind in retention.kinds():
        assert 0 < kind.minimum_days <= kind.default_days


def test_the_audit_log_is_kept_three_years_at_least_and_sign_ins_six_months():
    assert retention.kind("core.audit_log").minimum_days >= 3 * 365 + 1
    assert retention.kind("accounts.signins").minimum_days >= 180


def test_a_period_below_the_floor_is_refused_with_a_field_error():
    with pytest.raises(ValidationError) as refused:
        retention.validate_days("core.audit_log", 365)
    assert "days" in refused.value.message_dict
    retention.validate_days("core.audit_log", 4 * 365)


def test_the_district_s_period_replaces_the_default_but_never_goes_below_the_floor():
    assert retention.days_for("tickets.reporter") == 2 * 365
    RetentionPolicy.objects.create(kind="tickets.reporter", days=400)
    assert retention.days_for("tickets.reporter") == 400
    # A row written before the floor was raised (or by hand) does not cut closer.
    RetentionPolicy.objects.update(days=10)
    assert retention.days_for("tickets.reporter") == retention.kind("tickets.reporter").minimum_days


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditlog_logentry SET changes_text = 'rewritten'",
        "UPDATE auditlog_logentry SET timestamp = now()",
        "DELETE FROM auditlog_logentry",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_audit_entry(statement):
    pk = _logged_at(timezone.now() - 4 * YEAR)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert LogEntry.objects.get(pk=pk).changes_text == ""


@pytest.mark.postgres
def test_the_database_refuses_to_empty_the_audit_log():
    _logged_at(timezone.now())
    with (
        pytest.raises(DatabaseError, match="TRUNCATE of auditlog_logentry is refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE auditlog_logentry")
    assert LogEntry.objects.exists()


@pytest.mark.postgres
def test_even_the_purge_cannot_delete_an_entry_younger_than_three_years():
    pk = _logged_at(timezone.now() - 2 * YEAR)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(retention.AUDIT_PURGE)
        cursor.execute("DELETE FROM auditlog_logentry WHERE id = %s", [pk])
    assert LogEntry.objects.filter(pk=pk).exists()


@pytest.mark.postgres
def test_an_entry_without_an_actor_may_be_given_one_and_a_deleted_user_s_lose_the_link(
    own_worker,
):
    pk = _logged_at(timezone.now())
    LogEntry.objects.filter(pk=pk).update(actor=own_worker, actor_email="w@example.cn")
    # Naming someone else instead is a rewrite.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=pk).update(actor=None, actor_email="else@example.cn")
    own_worker.delete()
    entry = LogEntry.objects.get(pk=pk)
    assert entry.actor_id is None and entry.actor_email == "w@example.cn"


def test_the_purge_deletes_audit_entries_past_the_period_and_keeps_the_rest():
    old = _logged_at(timezone.now() - 3 * YEAR - 5 * DAY)
    young = _logged_at(timezone.now() - 3 * YEAR + 5 * DAY)
    run = retention.apply()
    assert run.counts["core.audit_log"]["count"] == 1
    assert not LogEntry.objects.filter(pk=old).exists()
    assert LogEntry.objects.filter(pk=young).exists()


@pytest.mark.postgres
def test_a_clock_gone_ahead_does_not_make_the_purge_ask_for_younger_entries(time_machine):
    kept = _logged_at(timezone.now() - 2 * YEAR)
    time_machine.move_to(timezone.now() + 5 * YEAR, tick=False)
    run = retention.apply()
    # The application believes the entry is seven years old; the database knows better.
    assert run.counts["core.audit_log"] == {
        "days": retention.AUDIT_FLOOR_DAYS,
        "cutoff": run.counts["core.audit_log"]["cutoff"],
        "count": 0,
    }
    assert not run.error
    assert LogEntry.objects.filter(pk=kept).exists()


def test_a_dry_run_counts_and_changes_nothing():
    old = _logged_at(timezone.now() - 4 * YEAR)
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "core.audit_log: 1 to be removed" in out.getvalue()
    assert LogEntry.objects.filter(pk=old).exists()
    assert not RetentionRun.objects.exists()


def test_the_command_applies_and_a_second_run_does_nothing_twice():
    _logged_at(timezone.now() - 4 * YEAR)
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "core.audit_log: 1 removed" in out.getvalue()
    second = retention.apply()
    assert {done["count"] for done in second.counts.values()} == {0}
    assert RetentionRun.objects.count() == 2


def test_small_batches_take_everything_expired():
    for _ in range(5):
        _logged_at(timezone.now() - 4 * YEAR)
    run = retention.apply(batch=2)
    assert run.counts["core.audit_log"]["count"] == 5


def test_a_failing_kind_is_reported_and_the_others_still_run(monkeypatch):
    def broken(cutoff, batch):
        raise RuntimeError("disk full")

    kind = retention.kind("visits.photos")
    monkeypatch.setitem(
        retention._kinds, kind.key, kind.__class__(**{**kind.__dict__, "purge": broken})
    )
    _logged_at(timezone.now() - 4 * YEAR)
    run = retention.apply()
    assert run.counts["visits.photos"]["count"] is None
    assert "disk full" in run.error
    assert run.counts["core.audit_log"]["count"] == 1


def test_the_nightly_task_is_scheduled_and_routed():
    from django.conf import settings

    from governance.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "core.tasks.apply_retention" in tasks
    assert "core.tasks.apply_retention" in settings.CELERY_TASK_ROUTES


def test_the_task_records_a_run():
    from core.tasks import apply_retention

    apply_retention.delay()
    assert RetentionRun.objects.get().finished_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_someone_holds_locked_is_left_for_the_next_night_not_waited_for(own_worker):
    import psycopg

    from accounts.signin_models import SignIn

    long_ago = timezone.now() - 400 * DAY
    held, free = (
        SignIn.objects.create(user=own_worker, at=long_ago, result=SignIn.Result.SUCCESS)
        for _ in range(2)
    )
    with psycopg.connect(**connection.get_connection_params()) as holder:
        holder.execute("SELECT 1 FROM accounts_signin WHERE id = %s FOR UPDATE", [held.pk])
        with connection.cursor() as cursor:
            # Waiting would fail the test after two seconds instead of hanging it.
            cursor.execute("SET lock_timeout = '2s'")
        try:
            run = retention.apply()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert run.counts["accounts.signins"]["count"] == 1
        assert list(SignIn.objects.values_list("pk", flat=True)) == [held.pk]
        assert not run.error
    assert retention.apply().counts["accounts.signins"]["count"] == 1
    assert not SignIn.objects.filter(pk__in=[held.pk, free.pk]).exists()
