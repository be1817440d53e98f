from django.contrib import admin

from core.models import CalendarDay, Heartbeat, RetentionPolicy, RetentionRun


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")
    search_fields = ("name",)
    readonly_fields = ("name", "at")

    def has_add_permission(self, request):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("note",)


class _ReadOnly(admin.ModelAdmin):
    """Periods are set on the district's retention page, which checks each kind's legal
    floor; runs are written by the nightly job. The admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(_ReadOnly):
    list_display = ("kind", "days", "updated_at")
    search_fields = ("kind",)


@admin.register(RetentionRun)
class RetentionRunAdmin(_ReadOnly):
    list_display = ("started_at", "finished_at", "error")
    date_hierarchy = "started_at"
