from django.contrib import admin

from core.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")
    search_fields = ("name",)
    readonly_fields = ("name", "at")

    def has_add_permission(self, request):
        return False
