"""The stations settings stop start-up with the variable's name when wrong."""

import pytest

from tests.core.test_settings import PRODUCTION, run_manage


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SERVICE_CIRCLE_METRES", "far"),
        ("SERVICE_CIRCLE_DETOUR", "0.5"),
        ("SERVICE_CIRCLE_DETOUR", "walk"),
        ("IMAGE_UPLOAD_MAX_MB", "0"),
        ("PUBLIC_BASE_URL", "grid.example.gov.cn"),
    ],
)
def test_a_bad_stations_setting_stops_start_up(variable, value):
    result = run_manage("check", **{**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert variable in result.stderr.strip().splitlines()[-1]


def test_defaults():
    from django.conf import settings as live

    assert live.SERVICE_CIRCLE_METRES == 1200
    assert live.SERVICE_CIRCLE_DETOUR == 1.0
    assert live.IMAGE_UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    assert live.IMAGE_MAX_PIXELS == 40_000_000
