import pytest
from django.contrib.auth.models import Group

from stations.models import Station
from tests.stations.factories import StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(persona):
    def login(name, group):
        user = persona(name)
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=group))
        return user

    return login


def test_officers_see_station_admin_pages_scoped_to_their_areas(
    officer, client, station, territory
):
    StationFactory(code="G4-ZD", name="科技园站", area=territory.other_street_grid)
    officer("street_officer", "Street staff")
    body = client.get("/admin/stations/station/").content.decode()
    assert station.name in body and "科技园站" not in body
    other = Station.objects.get(code="G4-ZD")
    assert client.get(f"/admin/stations/station/{other.pk}/change/").status_code == 302
    assert client.get("/admin/stations/inspection/").status_code == 200


def test_the_catalogues_are_bilingual_data(officer, client):
    officer("district_officer", "District staff")
    body = client.get("/admin/stations/servicetype/").content.decode()
    assert "老年助餐" in body and "Elderly meals" in body


def test_a_community_officer_edits_a_station_in_the_admin_through_the_rules(
    officer, client, station
):
    officer("community_officer", "Community staff")
    url = f"/admin/stations/station/{station.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        name: form.initial.get(name, "")
        for name in ["name", "kind", "area", "address", "longitude", "latitude", "phone"]
    }
    data.update({"name": "改名", "is_open": "on", "opening_hours": "", "description": ""})
    data.update(
        {
            "duties-TOTAL_FORMS": "0",
            "duties-INITIAL_FORMS": "0",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    station.refresh_from_db()
    assert station.name == "改名" and station.version == 2
