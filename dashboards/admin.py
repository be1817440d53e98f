from django.contrib import admin

from dashboards.models import AreaDay, AreaMix, AreaStanding, RollupState


class ReadOnly(admin.ModelAdmin):
    """Rollups are written by the job and the rebuild command only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ByArea(ReadOnly):
    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("area")
        if request.user.is_superuser:
            return rows
        from grids.models import Area

        return rows.filter(area__in=Area.objects.visible_to(request.user))


@admin.register(AreaDay)
class AreaDayAdmin(ByArea):
    list_display = ("day", "area", "received", "resolved", "open_now", "overdue_now", "visits")
    date_hierarchy = "day"


@admin.register(AreaMix)
class AreaMixAdmin(ByArea):
    list_display = ("day", "area", "channel", "category", "received", "resolved")
    date_hierarchy = "day"


@admin.register(AreaStanding)
class AreaStandingAdmin(ByArea):
    list_display = ("area", "grids", "grids_staffed", "grids_with_branch", "grids_with_station")


@admin.register(RollupState)
class RollupStateAdmin(ReadOnly):
    list_display = ("name", "last_event_id", "last_visit_id", "refreshed_at")
