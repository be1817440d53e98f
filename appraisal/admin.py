from django.contrib import admin

from appraisal.models import SchemeItem, Scorecard, Talk


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

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)
