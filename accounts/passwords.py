"""Password rules beyond Django's four, as 等保 2.0 level 3 expects: several kinds of
character, and never the user name or mobile number inside (settings.AUTH_PASSWORD_VALIDATORS).

An account whose password predates a rule it breaks is asked for a new one at its next
sign-in (``weak``, called by the sign-in view, which is the only place the password is seen
in clear).
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_CLASSES = (
    lambda c: c.isascii() and c.islower(),
    lambda c: c.isascii() and c.isupper(),
    lambda c: c.isascii() and c.isdigit(),
    lambda c: not (c.isascii() and c.isalnum()),  # a Chinese character counts here too
)


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, symbols
    (anything else, a space or a Chinese character, counts as a symbol)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None) -> None:
        used = sum(any(test(c) for c in password) for test in _CLASSES)
        if used < self.min_classes:
            raise ValidationError(
                _(
                    "This password uses too few kinds of character. Use at least %(n)d of: "
                    "lower-case letters, upper-case letters, digits, symbols."
                )
                % {"n": self.min_classes},
                code="password_too_few_classes",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Use at least %(n)d kind of character: lower-case letters, upper-case letters, "
            "digits, symbols.",
            "Use at least %(n)d of these kinds of character: lower-case letters, upper-case "
            "letters, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}


class NotContainingLoginValidator:
    """Refuses a password that contains the user name or the mobile number, in any case:
    the first thing someone guessing would try. Django's similarity check misses
    "wangfang2026!" for the user "wangfang"."""

    MIN_PART = 3  # a two-letter user name is too short to forbid

    def validate(self, password, user=None) -> None:
        if user is None:
            return
        lowered = password.casefold()
        for value in (getattr(user, "username", ""), getattr(user, "phone", "")):
            value = (value or "").casefold()
            if len(value) >= self.MIN_PART and value in lowered:
                raise ValidationError(
                    _("The password must not contain your user name or mobile number."),
                    code="password_contains_login",
                )

    def get_help_text(self) -> str:
        return _("The password must not contain your user name or mobile number.")


def weak(password: str, user) -> bool:
    """The password, typed at sign-in, breaks today's rules."""
    try:
        validate_password(password, user)
    except ValidationError:
        return True
    return False
