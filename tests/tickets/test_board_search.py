"""The board's free-text search (tickets.search): a rare phrase through the index of the
text's two-character pieces, a phrase of common pieces by walking the tab, the same requests
found either way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tickets.fixtures import reported
from tickets import search
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

ALL = reverse("ticket_board") + "?view=all"


@pytest.fixture(autouse=True)
def fresh_stats(monkeypatch):
    monkeypatch.setattr(search, "_stats", None)


def _found(client, q):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(ALL, {"q": q}).context["page"]
    return {row.short_code for row in page.object_list}, " ".join(
        query["sql"] for query in ctx.captured_queries
    )


@pytest.fixture
def filed(territory, matter):
    return {
        "stairs": reported(territory, matter, description="楼道堆满纸箱，消防隐患")[0],
        "lamp": reported(territory, matter, description="路灯不亮", address="幸福路12号Lane")[0],
        # Every two-character piece of 楼道楼, but not the phrase.
        "decoy": reported(territory, matter, description="道楼道的告示")[0],
    }


def test_a_rare_phrase_is_found_through_the_index(client, dispatcher, filed):
    client.force_login(dispatcher)
    found, sql = _found(client, "纸箱")
    assert found == {filed["stairs"].short_code}
    assert "tickets_bigrams" in sql
    assert _found(client, "幸福路12号lane")[0] == {filed["lamp"].short_code}  # address, any case
    assert _found(client, "楼道楼")[0] == set()  # the pieces match, the text does not
    assert _found(client, filed["lamp"].short_code.lower())[0] == {filed["lamp"].short_code}


def test_a_phrase_of_common_pieces_is_found_by_walking_the_tab(
    client, dispatcher, filed, monkeypatch
):
    monkeypatch.setattr(search, "_common_pieces", lambda: {"纸箱": 0.4, "楼道": 0.9})
    client.force_login(dispatcher)
    found, sql = _found(client, "纸箱")
    assert found == {filed["stairs"].short_code}
    assert "tickets_bigrams" not in sql and "STRPOS" in sql
    assert _found(client, "楼道楼")[0] == set()
    found, sql = _found(client, "路灯")  # a piece not among the common ones: the index
    assert found == {filed["lamp"].short_code} and "tickets_bigrams" in sql


def test_the_index_can_answer_the_search(filed):
    rows = Ticket.objects.filter(search.text_q("纸箱")).order_by()
    with connection.cursor() as cursor:
        # A handful of rows: told not to read them all, the planner shows what it may use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = rows.explain()
    assert "ticket_text_bigrams" in plan


def test_a_one_character_search_is_refused_with_a_message(client, dispatcher, filed):
    client.force_login(dispatcher)
    response = client.get(ALL, {"q": "纸"})
    assert "Type at least two characters to search." in response.content.decode()
    assert response.context["page"].paginator.count == len(filed)  # nothing applied
