"""The board's kept counts (tickets_boardtally, kept by a trigger) agree with a live count of
``view_filter`` for every tab at every level, after every kind of write to a request."""

import dataclasses
import datetime as dt
import io

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from tests.factories import jpeg
from tests.tickets.fixtures import reported
from tickets import board_tallies, selectors, services
from tickets.models import (
    OPEN_STATUSES,
    TALLIED_TABS,
    BoardTally,
    Department,
    Status,
    Ticket,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _kept(path: str) -> dict[str, int]:
    totals = BoardTally.objects.filter(area__path__startswith=path).aggregate(
        **{tab: Sum(tab) for tab in TALLIED_TABS}
    )
    return {tab: totals[tab] or 0 for tab in TALLIED_TABS}


def _live(path: str) -> dict[str, int]:
    return Ticket.objects.filter(area__path__startswith=path).aggregate(
        **{tab: Count("pk", filter=selectors.view_filter(tab, None)) for tab in TALLIED_TABS}
    )


def _agree(territory, what: str) -> None:
    """At the district, each street, community, grid and micro-grid."""
    for level in dataclasses.fields(territory):
        area = getattr(territory, level.name)
        area.refresh_from_db()
        assert _kept(area.path) == _live(area.path), f"after {what}, at {area.code}"


def _submit(territory, matter, grid=None) -> Ticket:
    return reported(territory, matter, grid=grid)[0]


def test_the_tallies_follow_every_transition(
    territory, matter, dispatcher, member_worker, street_officer
):
    a, b, c, d = reported(territory, matter, n=4)
    elsewhere = _submit(territory, matter, territory.far_grid)
    _agree(territory, "submit")

    a = services.accept(by=dispatcher, ticket=a)
    _agree(territory, "accept")
    a = services.assign(by=dispatcher, ticket=a, assignee=member_worker)
    _agree(territory, "assign")
    a = services.start(by=member_worker, ticket=a)
    _agree(territory, "start")
    a = services.resolve(by=member_worker, ticket=a, result="已清理", photos=[jpeg()])
    _agree(territory, "resolve")
    a = services.rate(ticket=a, rating=2, comment="没清干净")
    assert a.status == Status.ACCEPTED
    _agree(territory, "reopen by a low rating")
    a = services.assign(by=dispatcher, ticket=a, assignee=member_worker)
    a = services.return_to_dispatch(by=member_worker, ticket=a, reason="不在我片区")
    _agree(territory, "return to dispatch")
    a = services.assign(by=dispatcher, ticket=a, assignee=member_worker)
    a = services.resolve(by=member_worker, ticket=a, result="再次处理", photos=[jpeg()])
    a = services.rate(ticket=a, rating=5)
    assert a.status == Status.CLOSED
    _agree(territory, "close by rating")

    services.reject(by=dispatcher, ticket=b, reason="属于物业维修范围")
    _agree(territory, "reject")

    c = services.accept(by=dispatcher, ticket=c)
    c = services.suspend(by=dispatcher, ticket=c, reason="等待配件")
    _agree(territory, "suspend")
    c = services.resume(by=dispatcher, ticket=c)
    _agree(territory, "resume")
    c = services.escalate(by=dispatcher, ticket=c, reason="涉及多户")
    assert c.area == territory.community
    _agree(territory, "escalate to the community")
    c = services.acknowledge(by=dispatcher, ticket=c)
    _agree(territory, "acknowledge")
    c = services.escalate(by=dispatcher, ticket=c, reason="社区无法解决")
    _agree(territory, "escalate to the street")
    services.acknowledge(by=street_officer, ticket=c)
    _agree(territory, "acknowledge at the street")

    department = Department.objects.get(code="chengguan")
    d = services.accept(by=dispatcher, ticket=d)
    services.escalate(by=dispatcher, ticket=d, reason="需执法", to_department=department)
    _agree(territory, "escalate to a department")

    twin = _submit(territory, matter)
    services.merge(by=dispatcher, ticket=twin, into=d)
    _agree(territory, "merge")

    r = services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=_submit(territory, matter)),
        assignee=member_worker,
    )
    r = services.resolve(by=member_worker, ticket=r, result="好了", photos=[jpeg()])
    assert services.auto_close(ticket_id=r.pk, now=timezone.now() + dt.timedelta(days=8))
    _agree(territory, "auto-close")

    # Writes that bypass the services: a move to another grid, by save() and by update(), a
    # bulk change of state, a deletion.
    elsewhere.area = territory.neighbour_grid
    elsewhere.save()
    _agree(territory, "a move by save()")
    Ticket.objects.filter(pk=elsewhere.pk).update(area=territory.micro)
    _agree(territory, "a move by update()")
    Ticket.objects.filter(status=Status.SUBMITTED).update(status=Status.ACCEPTED)
    _agree(territory, "a bulk update")
    Ticket.objects.filter(pk=elsewhere.pk).delete()
    _agree(territory, "delete")

    rows = BoardTally.objects.count()
    assert board_tallies.fold() > 0
    assert BoardTally.objects.count() < rows
    _agree(territory, "fold")
    assert board_tallies.refresh_board_tallies() == BoardTally.objects.count()
    _agree(territory, "recount")


def test_the_sweeps_escalations_move_the_counts(territory, matter, dispatcher):
    from tickets import sweep

    ticket = services.accept(by=dispatcher, ticket=_submit(territory, matter))
    with time_machine.travel(ticket.completion_due + dt.timedelta(days=30), tick=False):
        sweep.sweep()
    ticket.refresh_from_db()
    assert ticket.escalation_level > 0
    _agree(territory, "the sweep")


def test_the_recount_heals_drift_and_runs_as_a_command(territory, matter, dispatcher):
    reported(territory, matter, n=2)
    BoardTally.objects.create(area=territory.grid, new=5, open=-1)
    assert _kept(territory.grid.path) != _live(territory.grid.path)
    call_command("refresh_board_tallies", stdout=io.StringIO())
    _agree(territory, "the recount")
    call_command("fold_board_tallies", stdout=io.StringIO())
    _agree(territory, "the fold")


def test_the_tally_jobs_are_scheduled_and_routed():
    from django.conf import settings

    from governance.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    for task in ("tickets.tasks.fold_board_tallies", "tickets.tasks.refresh_board_tallies"):
        assert task in tasks and task in settings.CELERY_TASK_ROUTES


def test_a_trigger_keeps_them_in_the_writing_transaction(territory, matter):
    """Raw SQL (bench/generate.py, an import) is counted too."""
    ticket = _submit(territory, matter)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_ticket SET status = 'resolved' WHERE id = %s", [ticket.pk])
    assert _kept(territory.grid.path)["review"] == 1
    _agree(territory, "raw SQL")


def test_the_board_counts_come_from_the_tallies_and_overdue_is_capped(
    client, territory, matter, dispatcher, monkeypatch
):
    reported(territory, matter, n=3)
    Ticket.objects.update(response_due=timezone.now() - dt.timedelta(days=1))
    BoardTally.objects.create(area=territory.grid, new=100)  # not a live count: the tally's
    monkeypatch.setattr(selectors, "OVERDUE_CAP", 2)
    client.force_login(dispatcher)
    response = client.get(reverse("ticket_board"))
    counts = response.context["counts"]
    assert counts["new"] == 103
    assert counts["overdue"] == 2 and counts.capped == {"overdue"}
    assert response.context["badges"]["overdue"] == "2+"
    response = client.get(reverse("ticket_board"), {"view": "overdue"})
    assert response.context["page"].paginator.count == 3  # counted as far as the page asks
    monkeypatch.setattr(selectors, "OVERDUE_CAP", 1000)
    cache.clear()  # the cap is code, not data: the board kept under the same version goes
    assert (
        client.get(reverse("ticket_board"), {"view": "overdue"}).context["page"].paginator.count
        == 3
    )


def test_a_search_counts_only_as_far_as_the_page_asks(
    client, territory, matter, dispatcher, monkeypatch
):
    tickets = reported(territory, matter, n=7)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(description="楼道堆物")
    monkeypatch.setattr("tickets.views.COUNT_CAP", 5)
    monkeypatch.setattr("tickets.views.PAGE_SIZE", 2)
    client.force_login(dispatcher)
    url = reverse("ticket_board")
    first = client.get(url, {"view": "open", "q": "楼道"})
    page = first.context["page"]
    assert (page.paginator.count, page.paginator.at_least) == (5, True)
    assert page.has_next()
    assert "More than 5 requests" in first.content.decode()
    # Further on, counted as far as the page after the one asked: then exactly.
    deeper = client.get(url, {"view": "open", "q": "楼道", "page": 3}).context["page"]
    assert (deeper.paginator.count, deeper.paginator.at_least) == (7, False)
    last = client.get(url, {"view": "open", "q": "楼道", "page": 4}).context["page"]
    assert len(last.object_list) == 1 and not last.has_next()
    # Past the end: the last page.
    assert client.get(url, {"view": "open", "q": "楼道", "page": 9}).context["page"].number == 4


def test_a_tab_counted_only_so_far_pages_on_by_its_rows(territory, matter):
    from core.paging import KnownCountPaginator

    reported(territory, matter, n=7)
    rows = Ticket.objects.filter(status__in=OPEN_STATUSES).order_by("pk")
    told = KnownCountPaginator(rows, 2, count=4, at_least=True)
    page = told.get_page(1)
    assert (told.count, told.at_least, page.has_next()) == (4, True, True)
    # Beyond what was counted the rows decide, and the end makes the count exact.
    last = KnownCountPaginator(rows, 2, count=4, at_least=True).get_page(4)
    assert (last.paginator.count, last.paginator.at_least, last.has_next()) == (7, False, False)
    # A stale tally promising more than there is lands on the real last page.
    stale = KnownCountPaginator(rows, 2, count=50).get_page(25)
    assert (stale.number, stale.paginator.count) == (4, 7)


def test_the_status_filter_and_search_still_count_exactly_below_the_cap(
    client, territory, matter, dispatcher
):
    tickets = reported(territory, matter, n=3)
    Ticket.objects.filter(pk=tickets[0].pk).update(description="楼道堆物")
    client.force_login(dispatcher)
    response = client.get(reverse("ticket_board"), {"view": "open", "q": "楼道"})
    assert response.context["page"].paginator.count == 1
    assert not response.context["page"].paginator.at_least


def test_a_code_is_found_by_its_code_alone(client, territory, matter, dispatcher):
    ticket, other = reported(territory, matter, n=2)
    Ticket.objects.filter(pk=other.pk).update(description=f"见 {ticket.short_code}")
    client.force_login(dispatcher)
    response = client.get(reverse("ticket_board"), {"view": "all", "q": ticket.short_code.lower()})
    found = [row.short_code for row in response.context["page"]]
    if any(c.isdigit() for c in ticket.short_code):
        assert found == [ticket.short_code]
    else:  # no digit: searched as text too
        assert ticket.short_code in found


def test_the_district_dispatches_everywhere_without_a_list_of_areas(
    territory, district_officer, dispatcher
):
    assert selectors.dispatch_area_ids(district_officer) is None
    assert set(selectors.dispatch_area_ids(dispatcher)) == {
        territory.community.pk,
        territory.grid.pk,
        territory.neighbour_grid.pk,
        territory.micro.pk,
        territory.micro2.pk,
    }
