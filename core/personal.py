"""Resident ID numbers and mobile numbers: validation, normalisation, masking.

Both are sensitive personal information under PIPL: lists and exports show
them masked; the full value is shown only on an explicit, audited request.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights for the first 17 digits; ``sum % 11`` indexes the check characters.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level codes (GB/T 2260): a typo in the first two digits is the commonest error.
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
    "91",
}
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_NOISE = re.compile(r"[\s\-()（）]")


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def id_birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except (ValueError, IndexError):
        return None


def validate_id_number(value: str) -> None:
    value = normalize_id_number(value)
    if not _ID_SHAPE.match(value):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a final digit or X."),
            code="id_shape",
        )
    if value[:2] not in _PROVINCES:
        raise ValidationError(_("The first two digits are not a province code."), code="id_region")
    born = id_birth_date(value)
    if born is None or born.year < 1900 or born > dt.date.today():
        raise ValidationError(
            _("Digits 7 to 14 are not a real date of birth."), code="id_birth_date"
        )
    if id_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character does not match: please re-check every digit."),
            code="id_check",
        )


def normalize_mobile(value: str) -> str:
    value = _MOBILE_NOISE.sub("", value or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def validate_mobile(value: str) -> None:
    if not _MOBILE_SHAPE.match(normalize_mobile(value)):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number, such as 138 1234 5678."),
            code="mobile",
        )


_LANDLINE_SHAPE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalize_phone(value: str) -> str:
    """A mobile or a landline (0519-8888 6666), without spaces, hyphens or +86."""
    value = _MOBILE_NOISE.sub("", value or "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            # Dialled from abroad a landline drops its trunk 0: +86 519 … is 0519 ….
            if value and not value.startswith(("1", "0")):
                value = "0" + value
    return value


def validate_phone(value: str) -> None:
    """Contact numbers of organisations and stations: a mobile or a landline with area code."""
    value = normalize_phone(value)
    if not (_MOBILE_SHAPE.match(value) or _LANDLINE_SHAPE.match(value)):
        raise ValidationError(
            _("Enter a mobile number or a landline with its area code, such as 0519-8888 6666."),
            code="phone",
        )


def mask_mobile(value: str | None) -> str:
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 8 else "****"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}" if len(value) > 8 else "****"


class RevealReason(models.TextChoices):
    """Why a full ID or mobile number is shown; kept in the audit entry of the reveal."""

    VISIT = "visit", _("Home visit")
    EMERGENCY = "emergency", _("Emergency")
    VERIFICATION = "verification", _("Identity verification")
