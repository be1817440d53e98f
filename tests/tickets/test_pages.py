import pytest
from django.urls import reverse

from tests.factories import jpeg
from tests.tickets.fixtures import reported as _report
from tickets import services, tasks_cache
from tickets.models import Channel, Status, Ticket

pytestmark = pytest.mark.django_db


def test_the_board_shows_only_the_dispatchers_areas(client, territory, matter, dispatcher):
    mine = _report(territory, matter)[0]
    elsewhere = _report(territory, matter, grid=territory.far_grid)[0]
    client.force_login(dispatcher)
    page = client.get(reverse("ticket_board")).context["page"]
    codes = {t.short_code for t in page}
    assert mine.short_code in codes and elsewhere.short_code not in codes
    assert (
        client.get(reverse("ticket_detail", kwargs={"code": elsewhere.short_code})).status_code
        == 404
    )


def test_board_views_and_counts(client, territory, matter, dispatcher, member_worker):
    _new, accepted, assigned = _report(territory, matter, n=3)
    services.accept(by=dispatcher, ticket=accepted)
    services.assign(
        by=dispatcher,
        ticket=services.accept(by=dispatcher, ticket=assigned),
        assignee=member_worker,
    )
    client.force_login(dispatcher)
    response = client.get(reverse("ticket_board"), {"view": "unassigned"})
    assert [t.short_code for t in response.context["page"]] == [accepted.short_code]
    counts = response.context["counts"]
    assert (counts["new"], counts["unassigned"], counts["open"]) == (1, 1, 3)


def test_the_board_filter_keeps_what_was_asked_and_counts_the_filtered_rows(
    client, territory, matter, dispatcher
):
    tickets = _report(territory, matter, n=3)
    Ticket.objects.filter(pk=tickets[0].pk).update(description="路灯不亮")
    client.force_login(dispatcher)
    url = reverse("ticket_board")
    response = client.get(
        url, {"view": "new", "q": "路灯", "category": matter.category_id, "since": "2020-01-01"}
    )
    page = response.content.decode()
    assert [t.short_code for t in response.context["page"]] == [tickets[0].short_code]
    assert response.context["page"].paginator.count == 1  # not the tab's 3
    assert 'value="路灯"' in page and 'value="2020-01-01"' in page
    assert f'<option value="{matter.category_id}" selected>' in page
    # Unfiltered, the tab's count is the page's count.
    assert client.get(url).context["page"].paginator.count == 3
    # A date that is not one: said so, nothing filtered, no error page.
    response = client.get(url, {"view": "open", "q": "路灯", "since": "2026-02-31"})
    assert response.status_code == 200
    assert 'class="form-control is-invalid"' in response.content.decode()
    assert response.context["view"] == "open"  # the tab asked for stays
    assert response.context["page"].paginator.count == 3


def test_the_board_runs_the_same_queries_for_one_or_fifty_requests(
    client, territory, matter, dispatcher
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dispatcher)
    url = reverse("ticket_board") + "?view=open"

    def count():
        # warm: on a shared cache posts and the bell's count are cached (core/versioned.py)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _report(territory, matter)
    one = count()
    _report(territory, matter, n=49)
    assert count() == one


def test_bulk_assignment(client, territory, matter, dispatcher, member_worker):
    tickets = [services.accept(by=dispatcher, ticket=t) for t in _report(territory, matter, n=3)]
    client.force_login(dispatcher)
    client.post(
        reverse("ticket_bulk_assign"),
        {
            "codes": [t.short_code for t in tickets],
            "assignee": member_worker.pk,
            "version": 0,
        },
    )
    assert Ticket.objects.filter(assignee=member_worker, status=Status.ASSIGNED).count() == 3


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_bulk_assignment_never_redirects_off_the_site(
    client, territory, matter, dispatcher, member_worker, next_url
):
    tickets = [services.accept(by=dispatcher, ticket=t) for t in _report(territory, matter, n=1)]
    client.force_login(dispatcher)
    for data in ({"codes": [tickets[0].short_code], "assignee": member_worker.pk}, {}):
        response = client.post(reverse("ticket_bulk_assign"), {**data, "next": next_url})
        assert response.status_code == 302
        assert response["Location"] == reverse("ticket_board")
    local = client.post(reverse("ticket_bulk_assign"), {"next": "/tickets/?status=assigned"})
    assert local["Location"] == "/tickets/?status=assigned"


def test_my_tasks_lists_my_work_and_what_i_can_take(
    client, territory, matter, dispatcher, member_worker
):
    mine, pool = _report(territory, matter, n=2)
    services.assign(
        by=dispatcher, ticket=services.accept(by=dispatcher, ticket=mine), assignee=member_worker
    )
    services.accept(by=dispatcher, ticket=pool)
    client.force_login(member_worker)
    response = client.get(reverse("my_tasks"))
    assert [t.short_code for t in response.context["tasks"]] == [mine.short_code]
    assert [t.short_code for t in response.context["pool"]] == [pool.short_code]
    client.post(
        reverse("ticket_act", kwargs={"code": pool.short_code, "action": "claim"}),
        {"version": Ticket.objects.get(pk=pool.pk).version},
    )
    assert Ticket.objects.get(pk=pool.pk).assignee == member_worker


def test_a_worker_reports_from_the_field_with_a_photo(client, territory, matter, own_worker):
    client.force_login(own_worker)
    response = client.post(
        reverse("ticket_new") + "?area=G1",
        {
            "area": "G1",
            "matter": matter.pk,
            "description": "楼道堆放杂物",
            "address": "3幢",
            "photos": [jpeg("a.jpg"), jpeg("b.jpg")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.channel == Channel.FIELD and ticket.reported_by == own_worker
    assert ticket.photos.count() == 2


def test_a_worker_cannot_report_into_another_grid(client, territory, matter, own_worker):
    client.force_login(own_worker)
    response = client.post(
        reverse("ticket_new") + "?area=G3",
        {
            "area": "G3",
            "matter": matter.pk,
            "description": "越界",
        },
    )
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_photos_are_served_only_to_those_who_see_the_ticket(
    client, photo, own_worker, neighbour_worker
):
    client.force_login(own_worker)
    response = client.get(reverse("ticket_photo", kwargs={"pk": photo.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(neighbour_worker)
    assert client.get(reverse("ticket_photo", kwargs={"pk": photo.pk})).status_code == 404


def test_the_detail_page_offers_only_allowed_actions(client, ticket, dispatcher, own_worker):
    client.force_login(own_worker)
    assert (
        client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code})).context["actions"]
        == []
    )
    client.force_login(dispatcher)
    body = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code})).content.decode()
    assert "/accept/" in body and ticket.reporter_phone not in body


def test_the_export_is_scoped_and_masked(client, territory, matter, dispatcher):
    mine = _report(territory, matter)[0]
    _report(territory, matter, grid=territory.far_grid)
    client.force_login(dispatcher)
    response = client.get(reverse("ticket_export") + "?view=all")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert mine.short_code in text and "138****5678" in text and "13812345678" not in text
    assert text.count("\n") == 3  # the watermark, the header, the one request
    assert text.startswith("Exported by ")


def test_a_meeting_decision_becomes_a_request_of_the_community(
    client, territory, meeting, matter, dispatcher
):
    decision = meeting.decisions.get()
    client.force_login(dispatcher)
    page = client.get(reverse("meeting_detail", kwargs={"pk": meeting.pk}))
    assert reverse("decision_ticket", kwargs={"pk": decision.pk}) in page.content.decode()
    response = client.post(
        reverse("decision_ticket", kwargs={"pk": decision.pk}),
        {
            "matter": matter.pk,
            "description": "清理消防通道",
        },
    )
    ticket = Ticket.objects.get(decision=decision)
    assert response.status_code == 302
    assert ticket.area == territory.community and ticket.channel == Channel.STAFF
    assert (
        decision.text
        in client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code})).content.decode()
    )


def test_board_rows_are_rendered_again_when_the_request_changes_or_falls_overdue(
    client, territory, matter, dispatcher
):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = _report(territory, matter)[0]
        client.force_login(dispatcher)
        url = reverse("ticket_board") + "?view=open"
        first = client.get(url).content.decode()
        assert ticket.short_code in first and BADGE not in first
        # Shown again unchanged: from the cache, without reading the row itself.
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as warm:
            again = client.get(url).content.decode()
        assert _rows(again) == _rows(first)
        assert not any('"tickets_ticket"."description"' in q["sql"] for q in warm)
        services.accept(by=dispatcher, ticket=ticket)
        accepted = client.get(url).content.decode()
        assert f'status-accepted">{Status.ACCEPTED.label}<' in accepted
        ticket.refresh_from_db()
    with time_machine.travel(ticket.completion_due + dt.timedelta(minutes=1), tick=False):
        client.force_login(dispatcher)  # the morning's session has expired
        assert BADGE in client.get(url).content.decode()
        zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        assert 'text-bg-warning">超时<' in zh


BADGE = 'text-bg-warning">Overdue<'


def _rows(page: str) -> str:
    start = page.index('<div class="list-group mb-3">')
    return page[start : page.index("</form>", start)]


@pytest.mark.parametrize("rows", [1, 50])
def test_my_tasks_costs_the_same_queries_for_1_or_50_requests(
    rows,
    client,
    territory,
    matter,
    dispatcher,
    member_worker,
    django_assert_max_num_queries,
    monkeypatch,
):
    # The page as rendered (its context, its queries): keeping it is test_tasks_cache's.
    monkeypatch.setattr(tasks_cache, "kept", lambda: False)
    for ticket in _report(territory, matter, n=rows):
        services.assign(
            by=dispatcher,
            ticket=services.accept(by=dispatcher, ticket=ticket),
            assignee=member_worker,
        )
    client.force_login(member_worker)
    client.get(reverse("my_tasks"))  # posts and the bell's count cached
    with django_assert_max_num_queries(13):
        response = client.get(reverse("my_tasks"))
    # A page at a time (30): thousands of tasks made the page time out at district scale.
    assert len(response.context["tasks"]) == min(rows, 30)
    if rows > 30:
        second = client.get(reverse("my_tasks"), {"page": 2})
        assert len(second.context["tasks"]) == rows - 30
        assert 'rel="next"' in response.content.decode()
