from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import OneTimeCode, SignIn, User, UserSession


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
    """Written by the product itself (sign-ins, accounts/signins.py; codes,
    accounts/services.py): read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(_ReadOnly):
    """Who was sent a code, when, and what became of it (never the code)."""

    list_display = ("user", "purpose", "created_at", "expires_at", "attempts", "used_at")
    list_filter = ("purpose",)
    search_fields = ("user__username", "user__display_name")
    fields = ("user", "purpose", "created_at", "expires_at", "attempts", "used_at", "created_by")
    readonly_fields = fields


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
