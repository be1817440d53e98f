from django.contrib import admin

from appraisal.models import Grade, GradeHolding, Promotion, SchemeItem, Scorecard, Talk


@admin.register(SchemeItem)
class SchemeItemAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "valid_from", "name_zh", "figure", "weight")
    list_filter = ("figure",)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("worker", "month", "version", "grid", "state", "total")
    list_filter = ("state", "month")
    raw_id_fields = ("worker", "grid", "published_by")

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ("worker", "month", "held_on", "held_by", "follow_up_on")
    list_filter = ("month",)
    raw_id_fields = ("worker", "grid", "scorecard", "held_by")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    """The district's ladder (三岗十八级): names, order and the rules for promotion."""

    list_display = ("track", "level", "name_zh", "min_years", "min_average", "min_months", "active")
    list_filter = ("track", "active")
    list_editable = ("min_years", "min_average", "min_months", "active")


@admin.register(GradeHolding)
class GradeHoldingAdmin(admin.ModelAdmin):
    list_display = ("worker", "grade", "since", "until", "granted_by")
    raw_id_fields = ("worker", "granted_by", "promotion")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("worker", "from_grade", "to_grade", "average", "months", "years", "state")
    list_filter = ("state",)
    raw_id_fields = ("worker", "grid", "decided_by")

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)
