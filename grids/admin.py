"""Admin for territory and people, scoped for every non-superuser.

Writes go through ``grids.services`` so the admin obeys the same rules as the
pages: levels, boundaries, permissions and the audit of full personal values.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import stepup
from accounts.admin import UserAdmin
from accounts.models import User
from core.admin import ReadOnlyAdmin
from core.clientip import client_ip
from grids import services
from grids.models import (
    Area,
    Cover,
    ExportApproval,
    GridTally,
    Household,
    Leave,
    Post,
    RegisterMark,
    Resident,
    ResidentCare,
)
from grids.policy import TerritoryCapability
from grids.scope import can


class ScopedAdmin(admin.ModelAdmin):
    """Non-superusers see and pick only what lies under their posts."""

    scope_capability = TerritoryCapability.VIEW_TERRITORY

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(
            pk__in=self.model.objects.visible_to(request.user, self.scope_capability).values("pk")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Area and not request.user.is_superuser:
            kwargs["queryset"] = Area.objects.visible_to(request.user, self.scope_capability)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Areas ----------------------------------------------------------------------------------


class AreaAdminForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label=_("Parent area"),
        queryset=Area.objects.all(),
        required=False,
        help_text=_("Changing it moves the area and everything under it."),
    )

    class Meta:
        model = Area
        fields = ["parent", "code", "name", "level", "grid_kind", "dedicated_type", "boundary"]

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        parent = self.cleaned_data.get("parent")
        try:
            if (
                self.instance.pk
                and parent is not None
                and parent.pk != Area.objects.get_parent(self.instance).pk
            ):
                probe = Area(pk=None, level=self.instance.level, boundary=self.instance.boundary)
                services.check_placement(probe, parent)
            else:
                services.check_placement(
                    self.instance,
                    Area.objects.get_parent(self.instance) if self.instance.pk else parent,
                )
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    form = AreaAdminForm
    list_display = ("indented_name", "code", "level", "grid_kind", "has_boundary")
    list_filter = ("level", "grid_kind", "dedicated_type")
    search_fields = ("code", "name")
    ordering = ("path",)
    list_per_page = 100

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        return ("— " * (obj.depth - 1)) + obj.name

    @admin.display(description=_("boundary"), boolean=True)
    def has_boundary(self, obj):
        return bool(obj.boundary)

    def get_readonly_fields(self, request, obj=None):
        return ("code", "level") if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        parents = Area.objects.visible_to(request.user, TerritoryCapability.EDIT_AREAS)
        if obj is not None:
            parents = parents.exclude(path__startswith=obj.path)
            form.base_fields["parent"].initial = Area.objects.get_parent(obj)
        form.base_fields["parent"].queryset = parents
        return form

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can(request.user, TerritoryCapability.EDIT_AREAS, obj))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        parent = data.get("parent")
        try:
            if not change:
                saved = services.create_area(
                    by=request.user,
                    parent=parent,
                    code=data["code"],
                    name=data["name"],
                    level=data["level"],
                    grid_kind=data["grid_kind"],
                    dedicated_type=data["dedicated_type"],
                    boundary=data["boundary"],
                )
            else:
                saved = services.update_area(
                    by=request.user,
                    area=obj,
                    name=data["name"],
                    grid_kind=data["grid_kind"],
                    dedicated_type=data["dedicated_type"],
                    boundary=data["boundary"],
                )
                if parent is not None and parent.pk != (Area.objects.get_parent(saved) or saved).pk:
                    saved = services.move_area(by=request.user, area=saved, new_parent=parent)
        except ValidationError as error:
            # Only if a sibling changed between validation and save: report it, save nothing.
            messages.error(request, " ".join(error.messages))
            return
        obj.pk = saved.pk


# --- Households and residents ---------------------------------------------------------------


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    scope_capability = TerritoryCapability.VIEW_HOUSEHOLDS
    list_display = ("address", "grid", "micro_grid", "updated_at")
    list_filter = ("grid__grid_kind",)
    search_fields = ("address", "grid__name", "grid__code")
    list_select_related = ("grid", "micro_grid")
    fields = ("grid", "micro_grid", "address", "longitude", "latitude", "note")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            services.update_household(by=request.user, household=obj, **data)
        else:
            obj.pk = services.create_household(by=request.user, **data).pk


class ResidentCareInline(admin.TabularInline):
    model = ResidentCare
    extra = 0


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    scope_capability = TerritoryCapability.VIEW_HOUSEHOLDS
    list_display = ("name", "household", "masked_id", "masked_mobile", "relationship", "status")
    list_filter = ("status", "relationship", "gender", "care__category")
    search_fields = ("name", "household__address")
    list_select_related = ("household",)
    raw_id_fields = ("household",)
    inlines = [ResidentCareInline]

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("mobile number"))
    def masked_mobile(self, obj):
        return obj.masked_phone

    def _may_reveal(self, request, obj) -> bool:
        # Full values only within a step-up (the password confirmed on a reveal in the app).
        return obj is None or (
            can(request.user, TerritoryCapability.REVEAL_PERSONAL, obj.household.area)
            and stepup.is_fresh(request)
        )

    def get_fields(self, request, obj=None):
        fields = [
            "household",
            "name",
            "relationship",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "status",
        ]
        if not self._may_reveal(request, obj):
            fields[fields.index("id_number")] = "masked_id"
            fields[fields.index("phone")] = "masked_mobile"
        return fields

    def get_readonly_fields(self, request, obj=None):
        return () if self._may_reveal(request, obj) else ("masked_id", "masked_mobile")

    def save_model(self, request, obj, form, change):
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in services.RESIDENT_FIELDS
        }
        if change:
            services.update_resident(by=request.user, resident=obj, **data)
        else:
            data.pop("name")
            saved = services.create_resident(
                by=request.user, household=obj.household, name=obj.name, **data
            )
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the care categories inline
        services.visit_interval_changed_for([form.instance.household_id])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and self._may_reveal(request, obj):
            services.open_for_editing(
                by=request.user,
                resident=obj,
                reason="",
                stepup_at=stepup.confirmed_at(request),
                remote_addr=client_ip(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ResidentCare)
class ResidentCareAdmin(ScopedAdmin):
    scope_capability = TerritoryCapability.VIEW_HOUSEHOLDS
    list_display = ("resident", "category", "since")
    list_filter = ("category",)
    search_fields = ("resident__name", "resident__household__address")
    list_select_related = ("resident",)
    raw_id_fields = ("resident",)

    # A care category sets how often the household is visited (grids.signals).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.visit_interval_changed_for([obj.resident.household_id])

    def delete_model(self, request, obj):
        household_id = obj.resident.household_id
        super().delete_model(request, obj)
        services.visit_interval_changed_for([household_id])

    def delete_queryset(self, request, queryset):
        ids = list(queryset.values_list("resident__household_id", flat=True))
        super().delete_queryset(request, queryset)
        services.visit_interval_changed_for(ids)


@admin.register(GridTally)
class GridTallyAdmin(ScopedAdmin):
    list_display = ("grid", "households", "residents", "computed_at")
    search_fields = ("grid__name", "grid__code")
    list_select_related = ("grid",)
    readonly_fields = ("grid", "households", "residents", "computed_at")

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(grid__in=Area.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    list_display = ("user", "role", "area", "started_on", "ended_on")
    list_filter = ("role", "area__level", "ended_on")
    search_fields = ("user__username", "user__display_name", "area__name", "area__code")
    list_select_related = ("user", "area")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        if not change or (obj.ended_on and "ended_on" in form.changed_data):
            services.require(request.user, TerritoryCapability.MANAGE_POSTS, obj.area)
        super().save_model(request, obj, form, change)


@admin.register(Cover)
class CoverAdmin(ScopedAdmin):
    """AB岗, set on the area's cover page (through ``services.set_cover``); read here."""

    list_display = ("post", "covered_by", "active", "updated_at")
    list_filter = ("active",)
    list_select_related = ("post__user", "post__area", "covered_by")
    raw_id_fields = ("post", "covered_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    """Grid workers' leave, recorded on the area's cover page (``services.record_leave``)."""

    list_display = ("user", "starts_on", "ends_on", "reason", "recorded_by")
    list_select_related = ("user", "recorded_by")
    date_hierarchy = "starts_on"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(
            user__posts__area__in=Area.objects.visible_to(request.user).values("pk")
        ).distinct()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Users, scoped here because scope is defined by posts ---------------------------------------

admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(pk__in=Post.objects.visible_to(request.user).values("user_id"))


@admin.register(ExportApproval)
class ExportApprovalAdmin(ReadOnlyAdmin):
    """Read-only: requests and decisions go through the export approvals page."""

    list_display = ("pk", "kind", "area", "requester", "rows", "status", "decided_by", "downloads")
    list_filter = ("status", "kind")
    list_select_related = ("area", "requester", "decided_by")
    date_hierarchy = "requested_at"


@admin.register(RegisterMark)
class RegisterMarkAdmin(ReadOnlyAdmin):
    """The household and resident lists' version, written only by the triggers and the fold."""

    list_display = ("id", "grid")
    list_select_related = ("grid",)
    search_fields = ("grid__code", "grid__name")
