"""Writes to accounts.

Who may add an account is decided by the caller's app (an appointment needs the right to
manage posts where it is made, ``grids.services.appoint``): accounts sits below the
territory and cannot see it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
from dataclasses import dataclass

from auditlog.models import LogEntry
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signins
from accounts.backends import mobile_in
from accounts.models import OneTimeCode
from core.links import absolute
from core.personal import normalize_mobile
from core.sms import ChannelError, get_sms_backend

logger = logging.getLogger(__name__)

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
    replace it, and it turns two-step sign-in off. The password is not logged, only that it
    was reset."""
    password = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _log(user, by, {"password": ["***", "temporary"]})
    # The way back for someone who lost the phone with their authenticator: the officer
    # hands the password over in person.
    if TOTPDevice.objects.filter(user=user).delete()[0]:
        _log(user, by, {"two_factor": ["on", "off"]})
    signins.end_sessions(user)  # whoever held the old password is signed out now
    _unlock(user)
    return password


def _unlock(user) -> None:
    """A password set by an officer or through a code sent to the person's own mobile ends a
    sign-in lockout at once: the person was locked out for not knowing the old one."""
    # The lockout counts what was typed: the user name, or the mobile number.
    for typed in {user.username, user.phone} - {""}:
        axes_reset(username=typed)


@transaction.atomic
def set_active(*, by, user, active: bool):
    """Deactivated, the account's sessions end at once (and the backend, accounts/
    backends.py, would refuse an inactive user at the next request anyway)."""
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        _log(user, by, {"is_active": [str(not active), str(active)]})
        if not active:
            end_all_sessions(user=user, reason="deactivated")
    return user


@transaction.atomic
def end_all_sessions(*, user, reason: str, started_before: dt.datetime | None = None) -> int:
    """Signs ``user`` out everywhere (or only the sessions signed in before
    ``started_before``): each session with its cached copy. ``reason`` goes to the log
    ("deactivated", "last post ended")."""
    ended = signins.end_sessions(user, started_before=started_before)
    if ended:
        logger.info("signed user %s out of %s sessions: %s", user.pk, ended, reason)
    return ended


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


# --- One-time codes: activation and forgotten passwords --------------------------------------
#
# An activation (an account made for someone) sends a link and a 6-digit code, both valid
# ACTIVATION_VALID: the person may open the message days later. A forgotten password's code is
# valid RESET_VALID. Either dies after MAX_ATTEMPTS wrong tries, at its first use, or when a
# newer one of the same purpose is issued. Issuing is limited per user and per mobile number
# (ISSUE_INTERVAL between two, ISSUE_PER_HOUR an hour), counted in the database so the limit
# holds when the cache is down.

ACTIVATION_VALID = dt.timedelta(days=7)
RESET_VALID = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 5
ISSUE_INTERVAL = dt.timedelta(seconds=60)
ISSUE_PER_HOUR = 5
CODE_DIGITS = 6
# A mobile number shared by several accounts gets at most this many reset codes per request.
RESET_FAN_OUT = 3


class TooManyCodes(ValidationError):
    """A code was issued for this person or number too recently or too often."""


def _token_hash(token: str) -> str:
    return salted_hmac("accounts.onetimecode.token", token).hexdigest()


def _code_hash(user_pk: int, code: str) -> str:
    # Keyed by SECRET_KEY and the user: a leaked table cannot be tried through 10^6 codes.
    return salted_hmac("accounts.onetimecode.code", f"{user_pk}:{code}").hexdigest()


def _live(purpose: str):
    return OneTimeCode.objects.filter(
        purpose=purpose,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
        attempts__lt=MAX_ATTEMPTS,
        user__is_active=True,
    )


def _check_rate(user, phone: str) -> None:
    now = timezone.now()
    who = Q(user=user) | Q(phone=phone) if phone else Q(user=user)
    recent = list(
        OneTimeCode.objects.filter(who, created_at__gte=now - dt.timedelta(hours=1)).values_list(
            "created_at", flat=True
        )
    )
    if any(at > now - ISSUE_INTERVAL for at in recent):
        raise TooManyCodes(_("A code was sent less than a minute ago. Wait a minute."))
    if len(recent) >= ISSUE_PER_HOUR:
        raise TooManyCodes(_("Too many codes were sent within the hour. Try again later."))


@dataclass(frozen=True)
class Issued:
    code: OneTimeCode
    token: str  # for the link; empty for a reset
    digits: str


def _issue(*, user, purpose: str, by=None) -> Issued:
    """A new code for ``user`` (locked), replacing older live ones of the same purpose."""
    User = get_user_model()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time
    phone = normalize_mobile(user.phone)
    _check_rate(user, phone)
    now = timezone.now()
    _live(purpose).filter(user=user).update(expires_at=now)
    token = secrets.token_urlsafe(32) if purpose == OneTimeCode.Purpose.ACTIVATE else ""
    digits = "".join(secrets.choice(string.digits) for _ in range(CODE_DIGITS))
    valid = ACTIVATION_VALID if purpose == OneTimeCode.Purpose.ACTIVATE else RESET_VALID
    code = OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        phone=phone,
        token_hash=_token_hash(token) if token else "",
        code_hash=_code_hash(user.pk, digits),
        expires_at=now + valid,
        created_by=by if getattr(by, "pk", None) else None,
    )
    return Issued(code=code, token=token, digits=digits)


def _send_sms(user, text: str, key: str) -> bool:
    """True when the provider took the message; a failure is logged, not raised: the code
    stays valid and the person (or the officer) can ask for another one."""
    try:
        get_sms_backend().send(phone=normalize_mobile(user.phone), text=text, idempotency_key=key)
    except ChannelError as exc:
        logger.warning("one-time code SMS to user %s not sent: %s", user.pk, exc)
        return False
    return True


def activation_path(token: str) -> str:
    return reverse("activate", args=[token])


@dataclass(frozen=True)
class Invitation:
    link: str  # absolute (core.links), from PUBLIC_BASE_URL
    digits: str
    sms_sent: bool


@transaction.atomic
def invite(*, user, by, send_sms: bool = True) -> Invitation:
    """An activation link and code for an account made for someone (no usable password
    yet); sent by SMS to ``user.phone`` when ``send_sms``, else handed over by ``by``.

    Raises ``TooManyCodes`` when invitations are sent too often, ``ValidationError`` when
    the account is already active with its own password or has no mobile number to send to.
    Who may invite whom is decided by the caller's app, as for ``create_account``.
    """
    if user.has_usable_password():
        raise ValidationError(_("This account has been activated already."))
    if send_sms and not user.phone:
        raise ValidationError(_("This person has no mobile number to send the code to."))
    issued = _issue(user=user, purpose=OneTimeCode.Purpose.ACTIVATE, by=by)
    link = absolute(activation_path(issued.token))
    sent = False
    if send_sms:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = _(
                "Grid Governance: your account %(username)s is ready. Open %(link)s or enter "
                "the code %(code)s at %(page)s within 7 days to choose your password."
            ) % {
                "username": user.username,
                "link": link,
                "code": issued.digits,
                "page": absolute(reverse("activate_code")),
            }
        sent = _send_sms(user, text, f"activate-{issued.code.pk}")
    _log(user, by, {"activation": ["", "invited by SMS" if send_sms else "invited"]})
    return Invitation(link=link, digits=issued.digits, sms_sent=sent)


def _matching_users(login: str):
    """Active users whose user name is ``login``, or whose mobile number it is."""
    User = get_user_model()
    login = (login or "").strip()
    if not login:
        return User.objects.none()
    phone = mobile_in(login)
    match = Q(username=login) | Q(phone=phone) if phone else Q(username=login)
    return User.objects.filter(match, is_active=True).order_by("pk")


def _spend(*, purpose: str, candidates, digits: str) -> OneTimeCode:
    """The live code of ``purpose`` among ``candidates`` (a OneTimeCode queryset) matching
    ``digits``; otherwise every candidate counts a wrong attempt and ValidationError."""
    digits = "".join((digits or "").split())
    live = list(candidates.filter(purpose=purpose) & _live(purpose))
    for code in live:
        if constant_time_compare(code.code_hash, _code_hash(code.user_id, digits)):
            return code
    if live:
        # Counted at once, outside the caller's transaction: a refused try must stay counted.
        OneTimeCode.objects.filter(pk__in=[c.pk for c in live]).update(attempts=F("attempts") + 1)
    raise ValidationError({"code": _("The code is wrong or has expired.")})


def code_for_link(token: str) -> OneTimeCode | None:
    """The live activation code an activation link carries, if any."""
    if not token:
        return None
    return (
        _live(OneTimeCode.Purpose.ACTIVATE)
        .filter(token_hash=_token_hash(token))
        .select_related("user")
        .first()
    )


@transaction.atomic
def _set_password(*, code: OneTimeCode, password: str, change: str):
    code = OneTimeCode.objects.select_for_update().select_related("user").get(pk=code.pk)
    if code.used_at is not None or code.expires_at <= timezone.now():
        raise ValidationError({"code": _("The code is wrong or has expired.")})
    user = code.user
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    now = timezone.now()
    code.used_at = now
    code.save(update_fields=["used_at"])
    # Whatever else was sent to this person is spent as well.
    _live(code.purpose).filter(user=user).update(expires_at=now)
    _log(user, user, {"password": ["***", change]})
    # Sessions opened with the old password end; the page signs this one in afterwards.
    signins.end_sessions(user)
    _unlock(user)
    return user


def activate(*, password: str, token: str = "", phone: str = "", code: str = ""):
    """Set the first password with the link's ``token``, or with ``phone`` and ``code``.
    Returns the user, ready to be signed in. Not atomic as a whole: a wrong code's attempt
    is counted even though the call fails."""
    if token:
        found = code_for_link(token)
        if found is None:
            raise ValidationError({"code": _("This link has expired or was used already.")})
    else:
        users = _matching_users(phone).filter(phone=normalize_mobile(phone))
        candidates = OneTimeCode.objects.filter(user__in=users)
        found = _spend(purpose=OneTimeCode.Purpose.ACTIVATE, candidates=candidates, digits=code)
    return _set_password(code=found, password=password, change="activated")


def request_password_reset(*, login: str) -> None:
    """Send a reset code by SMS to the account(s) named by user name or mobile number.

    Says nothing either way: no account, no mobile number, too many codes, all look the same
    to the caller (no enumeration); what happened is in the audit trail and the log.
    """
    for user in _matching_users(login).exclude(phone="")[:RESET_FAN_OUT]:
        try:
            with transaction.atomic():
                issued = _issue(user=user, purpose=OneTimeCode.Purpose.RESET)
                _log(user, None, {"password": ["", "reset code sent"]})
        except TooManyCodes:
            logger.info("password reset for user %s not sent: too many codes", user.pk)
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = _(
                "Grid Governance: %(code)s is the code to reset the password of %(username)s. "
                "It is valid for 30 minutes. If you did not ask for it, ignore this message."
            ) % {"code": issued.digits, "username": user.username}
        _send_sms(user, text, f"reset-{issued.code.pk}")


def reset_password_with_code(*, login: str, code: str, password: str):
    """The new password, if ``code`` is a live reset code of the account ``login`` names."""
    candidates = OneTimeCode.objects.filter(user__in=_matching_users(login))
    found = _spend(purpose=OneTimeCode.Purpose.RESET, candidates=candidates, digits=code)
    return _set_password(code=found, password=password, change="reset by SMS code")


# --- Accounts for people who work in the product --------------------------------------------


@dataclass(frozen=True)
class Provided:
    user: object
    created: bool
    invitation: Invitation | None
    problem: str = ""  # why no invitation went out, in words for the officer


def _free_username() -> str:
    User = get_user_model()
    while True:
        candidate = "m" + "".join(secrets.choice(string.digits) for _ in range(7))
        if not User.objects.filter(username=candidate).exists():
            return candidate


@transaction.atomic
def provide_account(
    *, by, display_name: str, phone: str, user=None, send_sms: bool = True
) -> Provided:
    """The account of a person the product now knows (a confirmed registration, a party
    member, a new post holder), made if needed and, when it has no password yet, invited.

    ``user``: the account already linked to the person. Otherwise the one active account with
    this mobile number is used; otherwise a new one, without a usable password. The caller
    decides who may do this (its own capability at the person's area) and links the result.
    """
    created = False
    phone = normalize_mobile(phone)
    if user is None and phone:
        User = get_user_model()
        same = list(User.objects.filter(phone=phone, is_active=True)[:2])
        if len(same) == 1:
            user = same[0]
    if user is None:
        user = create_account(username=_free_username(), phone=phone, display_name=display_name)
        created = True
        _log(user, by, {"account": ["", "created"]})
    if user.has_usable_password() or not user.is_active:
        return Provided(user=user, created=created, invitation=None)
    if send_sms and not user.phone:
        return Provided(
            user=user,
            created=created,
            invitation=None,
            problem=_("No mobile number: no activation code was sent."),
        )
    try:
        with transaction.atomic():
            invitation = invite(user=user, by=by, send_sms=send_sms)
    except TooManyCodes as error:
        return Provided(user=user, created=created, invitation=None, problem=error.messages[0])
    problem = "" if invitation.sms_sent or not send_sms else _("The text message was not sent.")
    return Provided(user=user, created=created, invitation=invitation, problem=problem)


def is_activated(user) -> bool:
    return user.is_active and user.has_usable_password()
