import pytest
from django.core import checks

from core.links import absolute, check_public_base_url


def test_a_path_is_made_absolute_from_the_one_setting(settings):
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    assert absolute("/tickets/AB12CD34/") == "https://grid.example.gov.cn/tickets/AB12CD34/"
    assert absolute("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert absolute("") == ""


@pytest.mark.parametrize(
    "base, warned",
    [("https://grid.example.gov.cn", False), ("http://127.0.0.1:8000", True), ("", True)],
)
def test_the_deploy_check_warns_unless_the_public_address_is_https(settings, base, warned):
    settings.PUBLIC_BASE_URL = base
    found = check_public_base_url()
    assert bool(found) == warned
    assert all(message.level == checks.WARNING for message in found)
