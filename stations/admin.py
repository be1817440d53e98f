"""Admin for stations and their records, scoped for every non-superuser.

Stations are saved through ``stations.services`` so the admin obeys the page rules
(levels, boundary, permissions, staff from the community). Photos and inspections are
recorded on the station pages, where uploads pass ``core.images``; here they are read-only.
"""

from __future__ import annotations

from django.contrib import admin

from grids.admin import ScopedAdmin
from stations import services
from stations.models import (
    Activity,
    ActivityPhoto,
    Facility,
    Inspection,
    InspectionItem,
    MonthlyServed,
    ServiceType,
    Station,
    StationPhoto,
    StationStaff,
)


class CatalogueAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh", "order", "active")
    list_editable = ("order", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_en", "name_zh")
    ordering = ("order", "code")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()


admin.site.register(ServiceType, CatalogueAdmin)
admin.site.register(Facility, CatalogueAdmin)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StationStaffInline(ReadOnlyMixin, admin.TabularInline):
    model = StationStaff
    extra = 0
    fields = ("user", "duty")
    readonly_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return True  # the duty text; who is on duty is chosen on the station page


class StationPhotoInline(ReadOnlyMixin, admin.TabularInline):
    model = StationPhoto
    extra = 0
    fields = ("caption", "uploaded_by", "created_at")
    readonly_fields = fields


@admin.register(Station)
class StationAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "area", "grid", "is_open", "updated_at")
    list_filter = ("kind", "is_open", "area__level")
    search_fields = ("code", "name", "address", "area__name", "area__code")
    list_select_related = ("area", "grid")
    fields = (
        "code",
        "name",
        "kind",
        "area",
        "grid",
        "address",
        "longitude",
        "latitude",
        "opening_hours",
        "phone",
        "description",
        "services",
        "facilities",
        "is_open",
    )
    filter_horizontal = ("services", "facilities")
    inlines = [StationStaffInline, StationPhotoInline]

    def get_readonly_fields(self, request, obj=None):
        return ("code", "grid") if obj else ("grid",)

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in [*services.STATION_FIELDS, "services", "facilities"]
            if name in form.cleaned_data
        }
        if change:
            saved = services.update_station(by=request.user, station=obj, **data)
        else:
            saved = services.create_station(by=request.user, code=form.cleaned_data["code"], **data)
        obj.pk = saved.pk
        obj.version = saved.version
        obj.grid = saved.grid


@admin.register(StationStaff)
class StationStaffAdmin(ScopedAdmin):
    list_display = ("user", "station", "duty")
    search_fields = ("user__username", "user__display_name", "station__name", "station__code")
    list_select_related = ("user", "station")
    readonly_fields = ("station", "user")

    def has_add_permission(self, request):
        return False


@admin.register(StationPhoto)
class StationPhotoAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("station", "caption", "uploaded_by", "created_at")
    search_fields = ("station__name", "station__code", "caption")
    list_select_related = ("station", "uploaded_by")


class InspectionItemInline(ReadOnlyMixin, admin.TabularInline):
    model = InspectionItem
    extra = 0
    fields = ("item", "passed", "note")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("station", "inspected_on", "passed", "inspector")
    list_filter = ("passed", "station__kind")
    date_hierarchy = "inspected_on"
    search_fields = ("station__name", "station__code")
    list_select_related = ("station", "inspector")
    inlines = [InspectionItemInline]


@admin.register(InspectionItem)
class InspectionItemAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("inspection", "item", "passed", "note")
    list_filter = ("item", "passed")
    search_fields = ("inspection__station__name", "inspection__station__code", "note")
    list_select_related = ("inspection__station",)


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    list_display = ("held_on", "title", "station", "kind", "attendance")
    list_filter = ("kind", "station__kind")
    date_hierarchy = "held_on"
    search_fields = ("title", "station__name", "station__code")
    list_select_related = ("station",)
    readonly_fields = ("station", "recorded_by")
    fields = ("station", "held_on", "title", "kind", "attendance", "description", "recorded_by")

    def has_add_permission(self, request):
        return False  # logged on the station page, with photos


@admin.register(ActivityPhoto)
class ActivityPhotoAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("activity", "pk")
    search_fields = ("activity__title", "activity__station__name")
    list_select_related = ("activity",)


@admin.register(MonthlyServed)
class MonthlyServedAdmin(ScopedAdmin):
    list_display = ("station", "month", "people", "recorded_by", "updated_at")
    list_filter = ("station__kind",)
    date_hierarchy = "month"
    search_fields = ("station__name", "station__code")
    list_select_related = ("station", "recorded_by")
    readonly_fields = ("station", "month", "recorded_by")
    fields = ("station", "month", "people", "note", "recorded_by")

    def has_add_permission(self, request):
        return False
