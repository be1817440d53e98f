"""受理 by a grid's full-time worker: only where their community lets them
(``CommunityRules.grid_workers_accept``), set by the community's own staff."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tickets import services
from tickets.models import CommunityRules, Event, Status

pytestmark = pytest.mark.django_db
A = Event.Action


def _rules_url(territory):
    return reverse("community_ticket_rules", kwargs={"code": territory.community.code})


def test_a_grid_worker_waits_while_the_community_setting_is_off(ticket, own_worker, client):
    assert A.ACCEPT not in services.allowed_actions(own_worker, ticket)
    with pytest.raises(PermissionDenied):
        services.accept(by=own_worker, ticket=ticket)
    client.force_login(own_worker)
    page = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code}))
    assert reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "accept"}) not in (
        page.content.decode()
    )


def test_community_officer_turns_the_setting_on_and_the_grid_worker_accepts(
    ticket, own_worker, community_officer, territory, client
):
    client.force_login(community_officer)
    assert client.get(_rules_url(territory)).status_code == 200
    response = client.post(_rules_url(territory), {"grid_workers_accept": "on"})
    assert response.status_code == 302
    assert CommunityRules.objects.get(community=territory.community).grid_workers_accept

    client.force_login(own_worker)
    page = client.get(reverse("ticket_detail", kwargs={"code": ticket.short_code})).content
    accept_url = reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "accept"})
    assert accept_url in page.decode()
    # Accept alone: the grid worker does not assign, so no accept-and-assign form ends in 403.
    assert reverse("ticket_accept_assign", kwargs={"code": ticket.short_code}) not in (
        page.decode()
    )
    assert client.post(accept_url, {"version": ticket.version}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ACCEPTED


def test_turning_the_setting_off_again_forbids_the_grid_worker(
    ticket, own_worker, community_officer, territory
):
    services.set_community_rules(
        by=community_officer, community=territory.community, grid_workers_accept=True
    )
    services.set_community_rules(
        by=community_officer, community=territory.community, grid_workers_accept=False
    )
    with pytest.raises(PermissionDenied):
        services.accept(by=own_worker, ticket=ticket)


def test_the_setting_lets_only_the_grids_own_workers_accept(
    ticket, own_worker, neighbour_worker, part_time_worker, community_officer, territory
):
    services.set_community_rules(
        by=community_officer, community=territory.community, grid_workers_accept=True
    )
    assert A.ACCEPT not in services.allowed_actions(neighbour_worker, ticket)
    assert A.ACCEPT not in services.allowed_actions(part_time_worker, ticket)
    assert A.ACCEPT in services.allowed_actions(own_worker, ticket)


def test_another_communitys_officer_cannot_change_the_setting(territory, client):
    from tests.conftest import _person

    other = _person("other_community_officer", "community_staff", territory.other_community)
    client.force_login(other)
    assert client.get(_rules_url(territory)).status_code == 404
    assert client.post(_rules_url(territory), {"grid_workers_accept": "on"}).status_code == 404
    assert not CommunityRules.objects.filter(community=territory.community).exists()
    with pytest.raises(PermissionDenied):
        services.set_community_rules(
            by=other, community=territory.community, grid_workers_accept=True
        )


def test_my_tasks_lists_new_requests_to_accept_only_where_the_community_lets_the_worker(
    ticket, own_worker, neighbour_worker, community_officer, territory, client
):
    accept_url = reverse("ticket_act", kwargs={"code": ticket.short_code, "action": "accept"})
    client.force_login(own_worker)
    assert accept_url not in client.get(reverse("my_tasks")).content.decode()
    services.set_community_rules(
        by=community_officer, community=territory.community, grid_workers_accept=True
    )
    assert accept_url in client.get(reverse("my_tasks")).content.decode()
    client.force_login(neighbour_worker)  # G2's worker: not their grid's request
    assert accept_url not in client.get(reverse("my_tasks")).content.decode()
