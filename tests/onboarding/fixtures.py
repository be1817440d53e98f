"""Onboarding fixtures in the shared territory (tests/conftest.py): an import of areas into
the C1 community, checked and waiting to be confirmed, with a report kept."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from onboarding.models import ImportRun
from tests.onboarding.books import GOOD, workbook


@pytest.fixture
def import_run(territory, street_officer):
    run = ImportRun(
        kind="areas",
        area=territory.community,
        created_by=street_officer,
        created_at=timezone.now(),
        file_name="areas.xlsx",
        file_sha256="0" * 64,
        file_size=100,
        status=ImportRun.Status.READY,
        rows=2,
        tallies={"areas": {"created": 2, "updated": 0, "unchanged": 0}},
    )
    run.file.save("areas.xlsx", ContentFile(workbook(GOOD)), save=False)
    run.report.save("report.xlsx", ContentFile(workbook([])), save=False)
    run.save()
    return run
