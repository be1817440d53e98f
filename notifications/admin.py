from django.contrib import admin

from grids.admin import ScopedAdmin
from notifications.models import ChannelPreference, Delivery, Notification, WebhookTarget


class OwnAdmin(admin.ModelAdmin):
    """An officer sees their own rows; the operations page is where staff see everyone's."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ("channel", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    exclude = ("idempotency_key",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(OwnAdmin):
    list_display = (
        "created_at",
        "kind",
        "recipient",
        "webhook",
        "subject_type",
        "subject_id",
        "level",
        "read_at",
    )
    list_filter = ("kind", "urgent")
    # The parameters hold what the message names (a request's code, say).
    search_fields = ("params", "key")
    list_select_related = ("recipient", "webhook__area", "subject_type")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "id"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(OwnAdmin):
    list_display = ("notification", "channel", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("channel", "state")
    list_select_related = ("notification",)
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(OwnAdmin):
    list_display = ("user", "kind", "channel", "enabled")
    list_filter = ("kind", "channel", "enabled")
    list_select_related = ("user",)


@admin.register(WebhookTarget)
class WebhookTargetAdmin(ScopedAdmin):
    list_display = ("area", "channel", "active")
    list_filter = ("channel", "active")
    list_select_related = ("area",)
    search_fields = ("area__name", "area__code")
