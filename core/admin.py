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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by their own pages, services or jobs (audit records, retention
    periods checked against their floors): the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(ReadOnlyAdmin):
    list_display = ("kind", "days", "updated_at")
    search_fields = ("kind",)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "error")
    date_hierarchy = "started_at"
