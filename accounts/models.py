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


# Sign-in history and open sessions (accounts/signins.py).
from accounts.signin_models import SignIn, UserSession  # noqa: E402, F401
