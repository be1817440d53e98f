import hashlib
import secrets

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from grids.admin import ScopedAdmin
from tickets.models import (
    ApiClient,
    Category,
    Department,
    Event,
    Matter,
    Photo,
    SweepRun,
    Ticket,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("members",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "order", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "category",
        "owner_level",
        "response_limit",
        "response_unit",
        "completion_limit",
        "completion_unit",
        "photo_required",
        "escalate_after_hours",
        "earns_points",
        "active",
    )
    list_filter = ("category", "owner_level", "active", "photo_required", "earns_points")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("category",)


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor", "action", "from_status", "to_status", "note", "public")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ScopedAdmin):
    """Read-mostly: transitions happen on the ticket page, through the state machine."""

    list_display = ("short_code", "matter", "area", "status", "channel", "submitted_at", "assignee")
    list_filter = ("status", "channel", "matter__category", "escalation_level")
    search_fields = ("short_code", "description", "address")
    list_select_related = ("matter", "area", "assignee")
    date_hierarchy = "submitted_at"
    readonly_fields = [f.name for f in Ticket._meta.fields if f.name != "id"]
    exclude = ("tracking_token", "reporter_phone")
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Event)
class EventAdmin(ScopedAdmin):
    list_display = ("ticket", "action", "actor", "at", "public")
    list_filter = ("action", "public")
    search_fields = ("ticket__short_code", "note")
    list_select_related = ("ticket", "actor")
    readonly_fields = (
        "ticket",
        "at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "note",
        "public",
    )

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(ticket__in=Ticket.objects.visible_to(request.user))


@admin.register(Photo)
class PhotoAdmin(ScopedAdmin):
    list_display = ("ticket", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("ticket__short_code",)
    readonly_fields = ("ticket", "event", "kind", "image", "created_at")

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(ticket__in=Ticket.objects.visible_to(request.user))


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "token_hint", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    readonly_fields = ("token_hint",)
    actions = ["issue_new_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            self._issue(request, obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_new_token(self, request, queryset):
        for client in queryset:
            self._issue(request, client)
            client.save()

    def _issue(self, request, client):
        token = secrets.token_urlsafe(32)
        client.token_hash = hashlib.sha256(token.encode()).hexdigest()
        client.token_hint = token[-6:]
        # Shown once: only its hash is stored.
        messages.warning(
            request,
            _("Token for %(name)s (copy it now, it is not shown again): %(token)s")
            % {"name": client.name, "token": token},
        )


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "duration_ms",
        "claimed",
        "notifications",
        "escalations",
        "closed",
    )
    readonly_fields = [f.name for f in SweepRun._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False
