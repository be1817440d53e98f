from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.personal import mask_mobile, normalize_mobile, validate_mobile


class User(AbstractUser):
    """A person who signs in: officials, grid workers, party members.

    What they may see and do comes from their posts (``grids.Post``), not from
    fields here.
    """

    display_name = models.CharField(
        _("display name"),
        max_length=50,
        blank=True,
        help_text=_("The name colleagues know, e.g. 王芳. Shown instead of the user name."),
    )
    phone = models.CharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set with a temporary password: the next sign-in must choose a new one."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean_fields(self, exclude=None) -> None:
        self.phone = normalize_mobile(self.phone)
        super().clean_fields(exclude)

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)


class OneTimeCode(models.Model):
    """A one-time link and SMS code that lets a person set their password: to activate an
    account made for them, or to replace a forgotten password (accounts/services.py).

    Only keyed hashes are stored (``core`` SECRET_KEY HMAC): the database never holds a
    usable code. A code is spent by its first successful use, dies after ``MAX_ATTEMPTS``
    wrong tries, and is replaced (expired) when a newer one of the same purpose is issued.
    """

    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("activate the account")
        RESET = "reset", _("reset the password")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
        verbose_name=_("user"),
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    # Where the text message went (normalised), for the per-number rate limit.
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.user}"


# Sign-in history and open sessions (accounts/signins.py).
from accounts.signin_models import SignIn, UserSession  # noqa: E402, F401
