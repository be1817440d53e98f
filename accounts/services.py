"""Writes to accounts.

Who may add an account is decided by the caller's app (an appointment needs the right to
manage posts where it is made, ``grids.services.appoint``): accounts sits below the
territory and cannot see it.
"""

from __future__ import annotations

import secrets
import string

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import signins

TEMPORARY_LENGTH = 10
# No look-alikes (0/O, 1/l/I): the password is read out or copied by hand.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


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


def _log(user, by, changes: dict) -> None:
    # Users are not registered with auditlog (a password hash must never reach the log):
    # each write here says what changed, by whom.
    LogEntry.objects.log_create(
        user, action=LogEntry.Action.UPDATE, force_log=True, actor=by, changes=changes
    )


@transaction.atomic
def set_temporary_password(*, by, user) -> str:
    """A new random password for ``user``, to be handed over once; their next sign-in must
    replace it. The password is not logged, only that it was reset."""
    password = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _log(user, by, {"password": ["***", "temporary"]})
    signins.end_sessions(user)  # whoever held the old password is signed out now
    return password


@transaction.atomic
def set_active(*, by, user, active: bool):
    """Deactivated, the account's sessions stop working at their next request: the
    backend (accounts/backends.py) reloads a saved user and refuses an inactive one."""
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        _log(user, by, {"is_active": [str(not active), str(active)]})
        if not active:
            signins.end_sessions(user)
    return user


@transaction.atomic
def update_person(*, by, user, display_name: str, phone: str):
    before = {"display_name": user.display_name, "phone": user.masked_phone}
    user.display_name = display_name
    user.phone = phone
    user.full_clean()
    user.save(update_fields=["display_name", "phone"])
    after = {"display_name": user.display_name, "phone": user.masked_phone}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        _log(user, by, changes)
    return user
