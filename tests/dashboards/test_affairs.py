"""The dashboard's page for mediation, safety patrols, deliberation and 红色物业: each app's
figures for the area and the areas under it, with their definitions, at a fixed cost."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from dashboards import affairs
from mediation.models import Case

pytestmark = pytest.mark.django_db


def _cells(html: str, table: str, area_code: str) -> str:
    """The row of ``area_code`` in the section ``table`` of the page."""
    section = html.split(f'data-testid="affairs-{table}"', 1)[1].split("</section>", 1)[0]
    return section.split(f'data-area="{area_code}"', 1)[1].split("</tr>", 1)[0]


def test_each_apps_records_count_in_their_community_and_not_in_the_other_street(
    client,
    territory,
    street_officer,
    mediation_case,
    safety_hazard,
    completed_project,
    company,
):
    client.force_login(street_officer)
    page = client.get(reverse("dashboard_affairs", args=[territory.street.code]))
    assert page.status_code == 200
    html = page.content.decode()
    for key, _title, source in affairs.SOURCES:
        for definition in source.DEFINITIONS:
            assert escape(str(definition.definition)) in html, (key, definition.key)
    own = _cells(html, "mediation", territory.community.code)
    assert 'data-key="cases_opened" class="text-end"><span>1</span>' in own
    other = _cells(html, "mediation", territory.other_community.code)
    assert 'data-key="cases_opened" class="text-end"><span>0</span>' in other
    assert 'data-key="hazards_found" class="text-end"><span>1</span>' in _cells(
        html, "safety", territory.community.code
    )
    assert 'data-key="projects_completed" class="text-end"><span>1</span>' in _cells(
        html, "deliberation", territory.community.code
    )
    assert 'data-key="companies" class="text-end"><span>1</span>' in _cells(
        html, "estates", territory.community.code
    )


def test_a_period_before_the_records_counts_none_of_them(
    client, territory, street_officer, mediation_case
):
    client.force_login(street_officer)
    last_year = timezone.localdate().year - 1
    page = client.get(
        reverse("dashboard_affairs", args=[territory.street.code]),
        {"period": "custom", "from": f"{last_year}-01-01", "to": f"{last_year}-12-31"},
    )
    own = _cells(page.content.decode(), "mediation", territory.community.code)
    assert 'data-key="cases_opened" class="text-end"><span>0</span>' in own


@pytest.mark.parametrize("rows", [1, 50])
def test_the_page_reads_a_fixed_number_of_queries_whatever_the_records(
    client, territory, district_officer, mediation_case, rows, django_assert_max_num_queries
):
    extra = [
        Case(
            grid=territory.grid if n % 2 else territory.other_street_grid,
            type="family",
            risk="low",
            summary="家庭矛盾",
            opened_at=timezone.now() - dt.timedelta(days=n),
            opened_by=mediation_case.opened_by,
        )
        for n in range(rows - 1)
    ]
    Case.objects.bulk_create(extra)
    client.force_login(district_officer)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("dashboard_affairs", args=[territory.district.code]))
    assert page.status_code == 200
    assert f"<span>{rows}</span>" in _cells(
        page.content.decode(), "mediation", territory.district.code
    )


def test_the_excel_file_has_a_sheet_per_app(client, territory, street_officer):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(street_officer)
    response = client.get(reverse("dashboard_affairs_export", args=[territory.street.code]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(BytesIO(content))
    assert book.sheetnames == [key for key, _title, _source in affairs.SOURCES]
