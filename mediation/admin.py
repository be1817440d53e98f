from django.contrib import admin

from mediation.models import Case, Party, Step, Studio


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    """The district's mediation studios (调解工作室), each serving a community or a street."""

    list_display = ("name", "area", "active")
    list_filter = ("active",)
    raw_id_fields = ("area",)


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    fields = ("role", "name", "resident")
    raw_id_fields = ("resident",)


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("date", "kind", "notes", "by")
    raw_id_fields = ("by",)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("opened_at", "grid", "type", "risk", "status", "outcome")
    list_filter = ("status", "type", "risk", "outcome")
    raw_id_fields = ("grid", "household", "opened_by", "mediator", "studio", "closed_by")
    exclude = ("signed_copy", "follow_up_visit")
    inlines = [PartyInline, StepInline]

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)
