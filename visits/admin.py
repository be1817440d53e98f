"""Admin for visit plans, places, visits and their photos, scoped like the territory's.

Plans are saved through ``visits.services`` so that households' due dates follow; visits and
photos are read-only here, since they are logged in the field.
"""

from __future__ import annotations

from django.contrib import admin

from grids.admin import ScopedAdmin
from grids.policy import TerritoryCapability
from visits import services
from visits.models import Place, Visit, VisitPhoto, VisitPlan
from visits.policy import VisitCapability


@admin.register(VisitPlan)
class VisitPlanAdmin(ScopedAdmin):
    scope_capability = VisitCapability.SUPERVISE_VISITS
    list_display = ("area", "routine_days", "care_days", "updated_at")
    search_fields = ("area__name", "area__code")

    def save_model(self, request, obj, form, change):
        services.save_plan(by=request.user, plan=obj)

    def delete_model(self, request, obj):
        services.delete_plan(by=request.user, plan=obj)

    def delete_queryset(self, request, queryset):
        for plan in queryset:
            services.delete_plan(by=request.user, plan=plan)


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    list_display = ("name", "kind", "grid", "address", "active", "last_visited_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "address", "grid__code")
    list_select_related = ("grid",)


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    readonly_fields = ("image", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    """Read-only: visits are logged in the field, through visits.services.log_visit."""

    scope_capability = TerritoryCapability.VIEW_HOUSEHOLDS
    list_display = ("visited_at", "kind", "household", "place", "grid", "by", "follow_up")
    list_filter = ("kind", "follow_up")
    search_fields = ("household__address", "place__name", "findings")
    list_select_related = ("household", "place", "grid", "by")
    date_hierarchy = "visited_at"
    readonly_fields = [f.name for f in Visit._meta.fields if f.name != "id"]
    inlines = [VisitPhotoInline]

    def has_add_permission(self, request):
        return False


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ScopedAdmin):
    scope_capability = TerritoryCapability.VIEW_HOUSEHOLDS
    list_display = ("visit", "created_at")
    readonly_fields = ("visit", "image", "created_at")

    def has_add_permission(self, request):
        return False
