"""The points admin opens for each model and never offers to change the ledger."""

import pytest

pytestmark = pytest.mark.django_db

MODELS = [
    "scheme",
    "rule",
    "account",
    "entry",
    "reward",
    "redemption",
    "stockchange",
    "declaration",
    "batch",
    "declarationphoto",
    "declarationstep",
    "objection",
    "honourlist",
    "honourperiod",
    "honourrow",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_points_list_opens(model, admin_client):
    assert admin_client.get(f"/admin/points/{model}/").status_code == 200


def test_the_admin_cannot_add_or_delete_a_ledger_entry(admin_client):
    assert admin_client.get("/admin/points/entry/add/").status_code == 403
