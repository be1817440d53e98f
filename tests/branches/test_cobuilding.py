import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from branches import services
from branches.models import CoBuildingUnit, JointMeeting

pytestmark = pytest.mark.django_db


def test_a_unit_with_a_landline_and_an_agreement(territory, community_officer_of_c1):
    unit = services.save_unit(
        by=community_officer_of_c1,
        community=territory.community,
        name="区第一人民医院",
        kind="hospital",
        contact_phone="0519-8888 6666",
        agreement_signed_on=dt.date(2025, 1, 1),
        agreement_ends_on=dt.date(2028, 1, 1),
    )
    assert unit.contact_phone == "051988886666"


def test_an_agreement_cannot_end_before_it_is_signed(territory, community_officer_of_c1):
    with pytest.raises(ValidationError):
        services.save_unit(
            by=community_officer_of_c1,
            community=territory.community,
            name="某单位",
            kind="enterprise",
            agreement_signed_on=dt.date(2025, 1, 1),
            agreement_ends_on=dt.date(2024, 1, 1),
        )
    assert not CoBuildingUnit.objects.exists()


def test_a_meeting_records_units_and_decisions(client, territory, unit, community_officer_of_c1):
    client.force_login(community_officer_of_c1)
    response = client.post(
        reverse("meeting_create", kwargs={"code": "C1"}),
        {
            "held_on": "2026-11-01",
            "title": "文明城市创建推进会",
            "units": [unit.pk],
            "topics": "背街小巷整治",
            "decisions": "认领背街小巷\n\n每周六督导",
        },
    )
    meeting = JointMeeting.objects.get()
    assert response.status_code == 302
    assert list(meeting.decisions.values_list("text", flat=True)) == ["认领背街小巷", "每周六督导"]
    assert list(meeting.units.all()) == [unit]


def test_another_communitys_unit_cannot_attend(territory, community_officer_of_c1):
    stranger = CoBuildingUnit.objects.create(
        community=territory.other_community, name="外单位", kind="other"
    )
    with pytest.raises(ValidationError):
        services.record_meeting(
            by=community_officer_of_c1,
            community=territory.community,
            held_on=dt.date(2026, 1, 1),
            title="会",
            topics="议",
            units=[stranger],
        )
