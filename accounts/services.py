"""Writes to accounts.

Who may add an account is decided by the caller's app (an appointment needs the right to
manage posts where it is made, ``grids.services.appoint``): accounts sits below the
territory and cannot see it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _


@transaction.atomic
def create_account(*, username: str, phone: str = "", display_name: str = ""):
    """An account without a usable password: its holder cannot sign in until the account is
    activated (issue 20), so an import never hands out passwords."""
    User = get_user_model()
    user = User(username=username, phone=phone, display_name=display_name)
    user.set_unusable_password()
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"username": _("This user name is taken.")}) from exc
    return user
