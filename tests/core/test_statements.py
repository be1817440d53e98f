"""One-row reads built once per process and prepared once per connection (core/statements.py)."""

import pytest
from django.db import connection
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core import statements
from grids.models import Area
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _count(level: str):
    return (
        Area.objects.filter(level=level)
        .order_by()
        .values(one=Value(1))
        .annotate(n=Count("pk"))
        .values_list("n")
    )


def test_the_database_answers_every_time_though_the_sql_is_kept(territory):
    def active_users():
        users = User.objects.filter(is_active=True).order_by().values(one=Value(1))
        return users.annotate(n=Count("pk")).values_list("n")

    before = statements.row(("test:users",), active_users)[0]
    UserFactory()
    assert statements.row(("test:users",), active_users)[0] == before + 1


def test_a_statement_is_prepared_once_on_a_connection_then_executed(territory):
    key = ("test:grids-prepared", "community")
    statements.row(key, lambda: _count("community"))
    prepared = _prepared()
    with CaptureQueriesContext(connection) as ctx:
        found = statements.row(key, lambda: _count("community"))[0]
    assert found == Area.objects.filter(level="community").count()
    assert _prepared() == prepared
    [query] = ctx.captured_queries
    assert query["sql"].startswith("EXECUTE gg_")
    name = query["sql"].split()[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        assert 'FROM "grids_area"' in cursor.fetchone()[0]


def test_sql_postgresql_cannot_prepare_runs_as_it_is_and_the_transaction_goes_on(territory):
    # Two parameters of no type PostgreSQL can infer: PREPARE is refused.
    assert statements.first_row(Area, "SELECT %s + %s", [1, 2]) == (3,)
    assert statements.first_row(Area, "SELECT %s + %s", [2, 2]) == (4,)
    assert Area.objects.filter(code=territory.grid.code).exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(territory):
    key = ("test:grids-reconnect", "street")
    first = statements.row(key, lambda: _count("street"))
    connection.close()  # as CONN_MAX_AGE does: the server forgets what was prepared
    assert statements.row(key, lambda: _count("street")) == first
    assert any(name.startswith("gg_") for name in _prepared())
