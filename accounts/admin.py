from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import SignIn, User, UserSession


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Grid governance"), {"fields": ("display_name", "phone", "language")}),
    )
    list_display = ("username", "display_name", "masked_phone", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name")

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj):
        return obj.masked_phone


class _ReadOnly(admin.ModelAdmin):
    """Written by sign-ins themselves (accounts/signins.py): read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SignIn)
class SignInAdmin(_ReadOnly):
    list_display = ("user", "at", "result", "attempts", "ip", "device")
    list_filter = ("result",)
    search_fields = ("user__username",)
    date_hierarchy = "at"


@admin.register(UserSession)
class UserSessionAdmin(_ReadOnly):
    list_display = ("user", "device", "ip", "started_at", "last_seen_at")
    search_fields = ("user__username",)
    # The key signs the session in: never shown.
    exclude = ("session_key",)
