"""/sw.js: served from the root for the whole site, naming the assets it keeps."""

import pytest


@pytest.mark.django_db
def test_the_service_worker_is_served_from_the_root_with_its_assets(client):
    response = client.get("/sw.js")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]  # a new release reaches phones at once
    assert "/static/js/visits.js" in body and "/static/css/app.css" in body
    assert "grid-assets-" in body and "{%" not in body
    # The same release names the same asset cache; it changes only with the assets.
    assert client.get("/sw.js").content.decode() == body
