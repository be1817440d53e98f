from django.contrib import admin

from deliberation.models import Decision, Meeting, Objection, Option, Project, Rating, Topic


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.visible_to(request.user)


@admin.register(Topic)
class TopicAdmin(ScopedAdmin):
    list_display = ("title", "community", "status", "channel", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("title",)
    raw_id_fields = ("community", "grid", "raised_by")


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ("title", "budget", "funding", "progress", "started_on", "completed_on")
    list_filter = ("funding",)
    raw_id_fields = ("topic",)


for model in (Meeting, Option, Decision, Objection, Rating):
    admin.site.register(model, raw_id_fields=("topic",) if hasattr(model, "topic") else ())
