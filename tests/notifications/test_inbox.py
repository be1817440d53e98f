"""The bell, the notifications page, channel preferences and the operations page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import notify
from notifications.models import (
    PERSONAL_KINDS,
    ChannelPreference,
    Delivery,
    NoticeChannel,
    NoticeKind,
    Notification,
)
from tickets.models import SweepRun

pytestmark = pytest.mark.django_db


def _notifications(user, ticket, n=1, *, kind=NoticeKind.REMINDER, read=False, params=None):
    now = timezone.now()
    start = Notification.objects.count()
    return [
        Notification.objects.create(
            key=f"test:{user.pk}:{start + i}",
            recipient=user,
            subject=ticket,
            kind=kind,
            level=50,
            params=params if params is not None else {"code": ticket.short_code},
            created_at=now - dt.timedelta(minutes=start + i),
            read_at=now if read else None,
        )
        for i in range(n)
    ]


def _failed(notification, channel=NoticeChannel.EMAIL, error="550 mailbox unavailable"):
    return Delivery.objects.create(
        notification=notification,
        channel=channel,
        state=Delivery.State.FAILED,
        attempts=5,
        last_error=error,
        idempotency_key=f"{notification.key}:{channel}",
    )


# --- The bell ---------------------------------------------------------------------------------


def test_the_bell_counts_unread_notifications_on_every_page(client, own_worker, ticket):
    _notifications(own_worker, ticket, 2)
    _notifications(own_worker, ticket, 3, read=True)
    client.force_login(own_worker)
    page = client.get(reverse("my_tasks")).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in page
    assert 'rounded-pill bg-warning text-dark ms-1" aria-hidden="true">2</span>' in page


def test_the_bell_has_no_badge_when_all_is_read(client, own_worker, ticket):
    _notifications(own_worker, ticket, 1, read=True)
    client.force_login(own_worker)
    page = client.get(reverse("my_tasks")).content.decode()
    assert 'aria-label="Notifications"' in page
    assert "badge rounded-pill" not in page


def test_the_bell_counts_only_when_a_page_shows_it(rf, own_worker):
    from grids.scope import active_posts
    from notifications.context_processors import bell as navigation

    request = rf.get("/")
    request.user = own_worker
    active_posts(own_worker)  # the navbar reads posts anyway, once per request
    with CaptureQueriesContext(connection) as ctx:
        context = navigation(request)
    assert len(ctx.captured_queries) == 0
    with CaptureQueriesContext(connection) as ctx:
        assert not context["nav_unread"]
        assert str(context["nav_unread"]) == "0"
    assert len(ctx.captured_queries) == 1


def test_signed_out_visitors_get_no_bell(client, territory):
    page = client.get(reverse("login")).content.decode()
    assert "nav-bell" not in page


# --- The notifications page -------------------------------------------------------------------


def test_a_user_sees_only_their_own_notifications(client, own_worker, neighbour_worker, ticket):
    (mine,) = _notifications(own_worker, ticket)
    (theirs,) = _notifications(neighbour_worker, ticket)
    client.force_login(own_worker)
    response = client.get(reverse("notifications"))
    assert [n.pk for n in response.context["page"]] == [mine.pk]
    assert f"Request {ticket.short_code}: 50% of the time is used" in response.content.decode()
    for name, method in [("notification_open", "get"), ("notification_read", "post")]:
        url = reverse(name, kwargs={"pk": theirs.pk})
        assert getattr(client, method)(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_page_is_newest_first_and_paginated(client, own_worker, ticket):
    rows = _notifications(own_worker, ticket, 30)
    client.force_login(own_worker)
    first = client.get(reverse("notifications")).context["page"]
    assert [n.pk for n in first] == [n.pk for n in rows[:25]]
    second = client.get(reverse("notifications"), {"page": 2}).context["page"]
    assert [n.pk for n in second] == [n.pk for n in rows[25:]]


def test_opening_the_page_does_not_mark_anything_read(client, own_worker, ticket):
    _notifications(own_worker, ticket, 3)
    client.force_login(own_worker)
    page = client.get(reverse("notifications")).content.decode()
    assert page.count('class="list-group-item list-group-item-warning"') == 3
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_mark_read_without_javascript_redirects_back_to_the_page(client, own_worker, ticket):
    first, second = _notifications(own_worker, ticket, 2)
    client.force_login(own_worker)
    response = client.post(reverse("notification_read", kwargs={"pk": first.pk}), {"page": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications") + "?page=2"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_mark_read_with_htmx_swaps_the_item_and_the_bell(client, own_worker, ticket):
    first, _second = _notifications(own_worker, ticket, 2)
    client.force_login(own_worker)
    response = client.post(
        reverse("notification_read", kwargs={"pk": first.pk}), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{first.pk}" class="list-group-item"' in html
    assert "Mark read" not in html
    assert 'id="nav-bell"' in html and 'hx-swap-oob="true"' in html
    assert 'aria-label="Notifications, 1 unread"' in html


def test_mark_all_read_marks_only_the_users_own(client, own_worker, neighbour_worker, ticket):
    _notifications(own_worker, ticket, 3)
    (theirs,) = _notifications(neighbour_worker, ticket)
    client.force_login(own_worker)
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "3 notifications marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=own_worker, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert 'aria-label="Notifications"' in response.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_request(client, own_worker, ticket):
    (notification,) = _notifications(own_worker, ticket)
    client.force_login(own_worker)
    response = client.get(reverse("notification_open", kwargs={"pk": notification.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", kwargs={"code": ticket.short_code})
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_a_notification_never_redirects_off_the_site(
    client, own_worker, ticket, monkeypatch
):
    from notifications import inbox
    from notifications.texts import Text

    (notification,) = _notifications(own_worker, ticket)
    for link in ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]:
        monkeypatch.setattr(inbox, "describe", lambda n, link=link: Text("t", "b", link))
        client.force_login(own_worker)
        response = client.get(reverse("notification_open", kwargs={"pk": notification.pk}))
        assert response["Location"] == reverse("notifications"), link


def test_the_notifications_page_runs_the_same_queries_for_one_or_fifty(
    client, own_worker, ticket, django_assert_max_num_queries
):
    client.force_login(own_worker)
    url = reverse("notifications")

    def count():
        client.get(url)  # the bell's count is cached on a shared cache: count a warm page
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _notifications(own_worker, ticket, 1)
    one = count()
    _notifications(own_worker, ticket, 49)
    assert count() == one
    with django_assert_max_num_queries(one):
        client.get(url)


# --- Channel preferences ----------------------------------------------------------------------


def _field(name):
    return f'name="{name}"'


def test_preferences_show_the_defaults_as_the_effective_choice(client, own_worker):
    own_worker.email, own_worker.phone = "wang@example.org", "13900001111"
    own_worker.save()
    client.force_login(own_worker)
    form = client.get(reverse("notification_preferences")).context["form"]
    assert form["reminder__email"].value() is True
    assert form["reminder__sms"].value() is False
    assert not form.fields["reminder__email"].disabled
    assert not form.fields["reminder__sms"].disabled


def test_preferences_are_saved_and_read_back_and_honoured_when_notifying(
    client, own_worker, ticket
):
    own_worker.email, own_worker.phone = "wang@example.org", "13900001111"
    own_worker.save()
    client.force_login(own_worker)
    # Every box the form shows, as a browser would post it: email only for overdue, SMS on
    # for requests given to the worker.
    data = {"assigned__email": "on", "assigned__sms": "on", "overdue__email": "on"}
    response = client.post(reverse("notification_preferences"), data, follow=True)
    assert "Your notification settings are saved." in response.content.decode()
    form = response.context["form"]
    assert form["assigned__sms"].value() is True
    assert form["reminder__email"].value() is False
    # A callback is a system's (tickets/callbacks.py): no one chooses channels for it.
    assert ChannelPreference.objects.filter(user=own_worker).count() == 2 * len(PERSONAL_KINDS)
    assert NoticeKind.CALLBACK not in PERSONAL_KINDS
    assert notify.channels_for(own_worker, NoticeKind.ASSIGNED) == ["email", "sms"]
    assert notify.channels_for(own_worker, NoticeKind.REMINDER) == []
    assert notify.channels_for(own_worker, NoticeKind.OVERDUE) == ["email"]

    notify.notify(
        kind=NoticeKind.ASSIGNED,
        recipients=[own_worker],
        subject=ticket,
        params={"code": ticket.short_code},
        robots=False,
    )
    sent = Delivery.objects.filter(notification__recipient=own_worker)
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]


def test_channels_without_an_address_are_disabled_and_not_written(client, own_worker):
    own_worker.email, own_worker.phone = "", ""
    own_worker.save()
    client.force_login(own_worker)
    response = client.get(reverse("notification_preferences"))
    form = response.context["form"]
    assert form.fields["reminder__email"].disabled and form.fields["reminder__sms"].disabled
    assert form["reminder__email"].value() is False
    html = response.content.decode()
    assert "there is no email address on your account" in html
    assert reverse("profile") in html
    client.post(reverse("notification_preferences"), {"reminder__sms": "on"})
    assert not ChannelPreference.objects.filter(user=own_worker).exists()


def test_group_robot_channels_cannot_be_chosen_as_a_preference(own_worker):
    from django.core.exceptions import ValidationError

    from notifications.preferences import save_channel_preferences

    with pytest.raises(ValidationError):
        save_channel_preferences(
            user=own_worker, choices={(NoticeKind.REMINDER, NoticeChannel.WECOM): True}
        )
    assert not ChannelPreference.objects.exists()


# --- Operations -------------------------------------------------------------------------------


def test_the_operations_page_is_denied_to_a_grid_worker_and_a_street_officer(
    client, own_worker, street_officer
):
    for user in (own_worker, street_officer):
        client.force_login(user)
        assert client.get(reverse("operations")).status_code == 403
        page = client.get(reverse("my_tasks")).content.decode()
        assert reverse("operations") not in page


def test_district_staff_see_sweeps_due_work_and_failed_deliveries(
    client, district_officer, failed_delivery, own_worker
):
    SweepRun.objects.create(duration_ms=1234, claimed=17, notifications=5, escalations=2, closed=1)
    client.force_login(district_officer)
    response = client.get(reverse("operations"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("operations") in client.get(reverse("my_tasks")).content.decode()
    assert response.context["last_sweep"].claimed == 17
    assert ">1234<" in html and ">17<" in html
    assert [d.pk for d in response.context["failed"]] == [failed_delivery.pk]
    assert "SMTPServerDisconnected" in html and str(own_worker) in html
    assert reverse("delivery_retry", kwargs={"pk": failed_delivery.pk}) in html
    counts = dict(response.context["delivery_counts"])
    assert counts[Delivery.State.FAILED] == 1 and counts[Delivery.State.SENT] == 0


def test_the_operations_page_counts_due_and_overdue_requests(client, district_officer, ticket):
    from tickets.models import Ticket

    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        next_check_at=now - dt.timedelta(minutes=1), response_due=now - dt.timedelta(hours=1)
    )
    client.force_login(district_officer)
    context = client.get(reverse("operations")).context
    assert (context["due_now"], context["late_response"], context["late_completion"]) == (1, 1, 0)


def test_the_operations_page_lists_deliveries_waiting_too_long(
    client, district_officer, own_notification
):
    now = timezone.now()
    stuck = Delivery.objects.create(
        notification=own_notification,
        channel=NoticeChannel.SMS,
        next_attempt_at=now - dt.timedelta(minutes=30),
        idempotency_key="stuck",
    )
    Delivery.objects.create(
        notification=own_notification,
        channel=NoticeChannel.EMAIL,
        next_attempt_at=now - dt.timedelta(minutes=2),
        idempotency_key="just-queued",
    )
    client.force_login(district_officer)
    assert [d.pk for d in client.get(reverse("operations")).context["stuck"]] == [stuck.pk]


def test_retry_puts_a_failed_delivery_back_to_pending(client, district_officer, failed_delivery):
    client.force_login(district_officer)
    response = client.post(
        reverse("delivery_retry", kwargs={"pk": failed_delivery.pk}), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("operations")
    assert f"Delivery {failed_delivery.pk} will be sent again." in response.content.decode()
    failed_delivery.refresh_from_db()
    assert failed_delivery.state == Delivery.State.PENDING
    assert failed_delivery.attempts == 0 and failed_delivery.last_error == ""


def test_retrying_a_sent_delivery_is_refused_with_a_message(
    client, district_officer, failed_delivery
):
    Delivery.objects.filter(pk=failed_delivery.pk).update(state=Delivery.State.SENT)
    client.force_login(district_officer)
    response = client.post(
        reverse("delivery_retry", kwargs={"pk": failed_delivery.pk}), follow=True
    )
    assert "already been sent" in response.content.decode()
    failed_delivery.refresh_from_db()
    assert failed_delivery.state == Delivery.State.SENT


def test_retry_is_denied_to_a_street_officer(client, street_officer, failed_delivery):
    client.force_login(street_officer)
    url = reverse("delivery_retry", kwargs={"pk": failed_delivery.pk})
    assert client.post(url).status_code == 403
    failed_delivery.refresh_from_db()
    assert failed_delivery.state == Delivery.State.FAILED


def test_the_operations_page_runs_the_same_queries_for_one_or_many_failures(
    client, district_officer, own_worker, ticket
):
    client.force_login(district_officer)
    url = reverse("operations")

    def count():
        client.get(url)  # posts and the bell's count are cached on a shared cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _failed(_notifications(own_worker, ticket)[0])
    SweepRun.objects.create()
    one = count()
    for notification in _notifications(own_worker, ticket, 20):
        _failed(notification)
        SweepRun.objects.create()
    assert count() == one


# --- The bell on a shared cache ---------------------------------------------------------------


def _bell(client) -> str:
    page = client.get(reverse("my_tasks")).content.decode()
    start = page.index('id="nav-bell"')
    return page[page.index("aria-label=", start) : page.index(">", start)]


@pytest.mark.redis
def test_on_a_shared_cache_the_bell_follows_every_change_at_once(
    shared_cache, client, own_worker, ticket
):
    first, second = _notifications(own_worker, ticket, 2)
    client.force_login(own_worker)
    assert _bell(client) == 'aria-label="Notifications, 2 unread"'
    with CaptureQueriesContext(connection) as queries:
        assert _bell(client) == 'aria-label="Notifications, 2 unread"'
    assert not [q for q in queries.captured_queries if "tickets_notification" in q["sql"]]

    notify.notify(
        kind=NoticeKind.ASSIGNED, recipients=[own_worker], subject=ticket, robots=False
    )  # written in bulk, without signals
    assert _bell(client) == 'aria-label="Notifications, 3 unread"'
    client.post(reverse("notification_read", kwargs={"pk": first.pk}))
    assert _bell(client) == 'aria-label="Notifications, 2 unread"'
    second.delete()
    assert _bell(client) == 'aria-label="Notifications, 1 unread"'
    client.post(reverse("notifications_read_all"))
    assert _bell(client) == 'aria-label="Notifications"'


@pytest.mark.redis
def test_a_count_cached_under_an_older_version_is_never_shown(
    shared_cache, client, own_worker, neighbour_worker, ticket
):
    """A page that counted just before a notification arrived and cached just after."""
    from core import versioned
    from notifications import bell

    client.force_login(own_worker)
    assert _bell(client) == 'aria-label="Notifications"'
    version_key, count_key = bell.cache_keys(own_worker)
    old = shared_cache.get(version_key)
    _notifications(own_worker, ticket, 1)
    shared_cache.set(count_key, (old, 0), versioned.SECONDS)
    assert _bell(client) == 'aria-label="Notifications, 1 unread"'
    # Someone else's notification leaves this count alone.
    _notifications(neighbour_worker, ticket, 1)
    assert shared_cache.get(version_key) != old
    kept = shared_cache.get(version_key)
    _notifications(neighbour_worker, ticket, 1)
    assert shared_cache.get(version_key) == kept
