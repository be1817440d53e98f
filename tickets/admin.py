from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from grids.admin import ScopedAdmin
from tickets import services
from tickets.models import (
    ApiClient,
    BoardTally,
    Category,
    CommunityRules,
    Department,
    Event,
    JointAction,
    JointActionPhoto,
    Matter,
    Photo,
    Summons,
    SweepRun,
    Ticket,
)


class _ServiceForm(forms.ModelForm):
    """The admin's form asks the same rules as the catalogue pages before anything is saved."""

    def _post_clean(self):
        super()._post_clean()
        if self.errors or "active" not in self.cleaned_data:
            return
        try:
            self.check(self.instance, self.cleaned_data["active"])
        except ValidationError as error:
            self._update_errors(error)


class DepartmentAdminForm(_ServiceForm):
    check = staticmethod(services.check_department_active)


class MatterAdminForm(_ServiceForm):
    @staticmethod
    def check(matter, active):
        services.check_department_for(matter)
        if not matter.pk or Matter.objects.get(pk=matter.pk).active != active:
            services.check_matter_active(matter, active)


class CatalogueAdmin(admin.ModelAdmin):
    """Writes go through tickets.services, like the catalogue pages (tickets/catalogue_pages.py):
    the same rules, the same permission (district staff), the same audit."""

    def _fields(self, form, names):
        return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


@admin.register(Department)
class DepartmentAdmin(CatalogueAdmin):
    form = DepartmentAdminForm
    list_display = ("code", "name_zh", "name_en", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("members",)

    def save_model(self, request, obj, form, change):
        fields = self._fields(form, services.DEPARTMENT_FIELDS)
        if not change:
            saved = services.create_department(by=request.user, code=obj.code, **fields)
            obj.pk, obj.version = saved.pk, saved.version
            if not form.cleaned_data.get("active", True):
                services.set_department_active(by=request.user, department=saved, active=False)
            return
        services.update_department(by=request.user, department=obj, **fields)
        if "active" in form.changed_data:
            services.set_department_active(
                by=request.user, department=obj, active=form.cleaned_data["active"]
            )

    def save_related(self, request, form, formsets, change):
        # The members go through the service too (the form's own m2m save is skipped).
        services.update_department(
            by=request.user,
            department=form.instance,
            members=form.cleaned_data.get("members", []),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Category)
class CategoryAdmin(CatalogueAdmin):
    list_display = ("code", "name_zh", "name_en", "order", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en")

    def save_model(self, request, obj, form, change):
        fields = self._fields(form, [*services.CATEGORY_FIELDS, "active"])
        if not change:
            fields["code"] = obj.code
        services.save_category(by=request.user, category=obj, **fields)


@admin.register(Matter)
class MatterAdmin(CatalogueAdmin):
    form = MatterAdminForm
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

    def save_model(self, request, obj, form, change):
        fields = self._fields(form, services.MATTER_FIELDS)
        if not change:
            saved = services.create_matter(by=request.user, code=obj.code, **fields)
            obj.pk, obj.version = saved.pk, saved.version
            if not form.cleaned_data.get("active", True):
                services.set_matter_active(by=request.user, matter=saved, active=False)
            return
        services.update_matter(by=request.user, matter=obj, **fields)
        if "active" in form.changed_data:
            services.set_matter_active(
                by=request.user, matter=obj, active=form.cleaned_data["active"]
            )


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


@admin.register(CommunityRules)
class CommunityRulesAdmin(ScopedAdmin):
    """Read only: a community changes its rules on its own page (tickets/community_rules.py),
    through ``services.set_community_rules``, which checks who may."""

    list_display = ("community", "grid_workers_accept")
    list_filter = ("grid_workers_accept",)
    search_fields = ("community__name", "community__code")
    list_select_related = ("community",)
    readonly_fields = ("community", "grid_workers_accept")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Summons)
class SummonsAdmin(ScopedAdmin):
    """Read only: departments are summoned, acknowledge and report on the request's page,
    through the co-handling services, which check who may."""

    list_display = (
        "ticket",
        "department",
        "role",
        "state",
        "summoned_at",
        "acknowledge_due",
        "acknowledged_at",
        "completion_due",
        "reported_at",
        "escalated_at",
    )
    list_filter = ("role", "state", "department")
    search_fields = ("ticket__short_code", "department__name_zh", "department__name_en")
    list_select_related = ("ticket", "department")
    readonly_fields = [f.name for f in Summons._meta.fields if f.name != "id"]

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(ticket__in=Ticket.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


class JointActionPhotoInline(admin.TabularInline):
    model = JointActionPhoto
    extra = 0
    fields = ("image", "created_at")
    readonly_fields = ("image", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JointAction)
class JointActionAdmin(ScopedAdmin):
    """Read only: a joint action is recorded on its area's page (tickets/joint_views.py),
    through ``tickets.joint.record``, which checks who may and notes it on the requests."""

    list_display = ("date", "place", "area", "recorded_by", "created_at")
    list_filter = ("date",)
    search_fields = ("place", "outcome", "area__name", "tickets__short_code")
    list_select_related = ("area", "recorded_by")
    date_hierarchy = "date"
    readonly_fields = (
        "area",
        "date",
        "place",
        "departments",
        "outcome",
        "tickets",
        "recorded_by",
        "created_at",
    )
    inlines = [JointActionPhotoInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JointActionPhoto)
class JointActionPhotoAdmin(ScopedAdmin):
    list_display = ("action", "created_at")
    readonly_fields = ("action", "image", "created_at")

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(action__in=JointAction.objects.visible_to(request.user))


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Through tickets.services, like the API clients' pages (tickets/api_clients.py)."""

    list_display = ("name", "area", "token_hint", "active", "last_used_at", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    # The callback is set on the API clients' page, which shows its secret once.
    readonly_fields = ("token_hint", "callback_url", "callback_secret_hint", "last_used_at")
    actions = ["issue_new_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            saved, token = services.create_api_client(by=request.user, name=obj.name, area=obj.area)
            obj.pk, obj.version = saved.pk, saved.version
            self._show(request, saved, token)
            if not obj.active:
                services.set_api_client_active(by=request.user, client=saved, active=False)
            return
        services.update_api_client(by=request.user, client=obj, name=obj.name, area=obj.area)
        if "active" in form.changed_data:
            services.set_api_client_active(by=request.user, client=obj, active=obj.active)

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_new_token(self, request, queryset):
        for client in queryset:
            self._show(request, client, services.rotate_api_token(by=request.user, client=client))

    def _show(self, request, client, token):
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


@admin.register(BoardTally)
class BoardTallyAdmin(ReadOnlyAdmin):
    """The board's kept counts, written only by the trigger, the fold and the recount."""

    list_display = ("area", "new", "unassigned", "review", "escalated", "open")
    list_select_related = ("area",)
    search_fields = ("area__code", "area__name")
