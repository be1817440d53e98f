"""A matter owned by "the property company of the estate": the registered finders name the
department; where none does, the request stays with its grid as any other."""

import pytest

from tickets import routing, services
from tickets.models import Channel, Matter, OwnerLevel

pytestmark = pytest.mark.django_db


def _report(territory, matter):
    return services.submit(
        channel=Channel.QR,
        matter=matter,
        description="小区路灯不亮",
        reporter_phone="13812345678",
        grid=territory.grid,
    )


def test_with_no_company_serving_the_place_the_grid_keeps_it(territory, matter):
    owned = Matter.objects.get(code="estate_facilities")
    assert owned.owner_level == OwnerLevel.PROPERTY
    ticket = _report(territory, owned)
    assert ticket.department is None and ticket.area == territory.grid


def test_a_finder_names_the_department(territory, matter, monkeypatch):
    from tickets.models import Department

    department = Department.objects.get(code="housing")
    monkeypatch.setattr(routing, "_finders", [lambda *, area, household: department])
    assert _report(territory, Matter.objects.get(code="estate_facilities")).department == department
    # Other owners are not asked.
    assert _report(territory, matter).department is None
