from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
