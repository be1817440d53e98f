from django.contrib import admin

from safety.models import ChecklistItem, Hazard, Patrol, PatrolPlan


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ("text", "place_kind", "category", "order", "photo_on_fail", "major", "active")
    list_filter = ("place_kind", "category", "active", "major")
    list_editable = ("order", "active")
    raw_id_fields = ("matter",)


@admin.register(PatrolPlan)
class PatrolPlanAdmin(admin.ModelAdmin):
    list_display = ("place_kind", "interval_days")


class ReadOnly(admin.ModelAdmin):
    """Patrols and hazards are written by their services only: the admin reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)


@admin.register(Patrol)
class PatrolAdmin(ReadOnly):
    list_display = ("place", "at", "by", "passed", "failed")
    list_filter = ("at",)
    raw_id_fields = ("place", "grid", "by")


@admin.register(Hazard)
class HazardAdmin(ReadOnly):
    list_display = ("place", "description", "severity", "status", "fix_by", "escalation_level")
    list_filter = ("status", "severity", "category")
    raw_id_fields = ("place", "grid", "answer", "rechecked_by", "ticket")
