import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.personal import (
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "11010519491231002x", " 110105 19491231002X "]
)
def test_a_valid_id_number_passes_after_normalising(value):
    validate_id_number(normalize_id_number(value))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_check"),  # wrong check character
        ("11010519491231002", "id_shape"),  # 17 characters
        ("1101051949123100AX", "id_shape"),
        ("11010519490231002X", "id_birth_date"),  # 31 February
        ("99010519491231002X", "id_region"),  # no province 99
        ("11010518991231002X", "id_birth_date"),  # before 1900
    ],
)
def test_an_invalid_id_number_is_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value)
    assert caught.value.code == code


def test_an_id_number_born_tomorrow_is_refused():
    from core.personal import id_check_character

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    first17 = f"320412{tomorrow:%Y%m%d}001"
    with pytest.raises(ValidationError):
        validate_id_number(first17 + id_check_character(first17))


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "138-1234-5678", "(+86)13812345678"],
)
def test_mobile_numbers_are_normalised_to_eleven_digits(raw):
    assert normalize_mobile(raw) == "13812345678"
    validate_mobile(raw)


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "02512345678", "abc"])
def test_a_bad_mobile_number_is_refused(raw):
    with pytest.raises(ValidationError):
        validate_mobile(raw)


def test_masks_keep_only_the_ends():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("32041219800517123X") == "3204**********123X"
    assert mask_mobile("") == "" and mask_id_number("") == ""
