from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from branches.models import (
    Branch,
    BranchGrid,
    CoBuildingUnit,
    HouseholdLink,
    JointMeeting,
    MeetingDecision,
    PartyGroup,
    PartyMember,
    Registration,
    ServiceClaim,
    ServiceRecord,
)
from grids.admin import ScopedAdmin


class BranchGridInline(admin.TabularInline):
    model = BranchGrid
    extra = 0
    raw_id_fields = ("grid",)


@admin.register(Branch)
class BranchAdmin(ScopedAdmin):
    list_display = ("name", "code", "community", "secretary")
    search_fields = ("name", "code", "community__name")
    list_select_related = ("community", "secretary")
    raw_id_fields = ("secretary",)
    inlines = [BranchGridInline]


@admin.register(BranchGrid)
class BranchGridAdmin(ScopedAdmin):
    list_display = ("grid", "branch")
    search_fields = ("grid__name", "grid__code", "branch__name")
    list_select_related = ("grid", "branch")
    raw_id_fields = ("grid", "branch")

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(branch__in=Branch.objects.visible_to(request.user))


@admin.register(PartyMember)
class PartyMemberAdmin(ScopedAdmin):
    list_display = ("name", "kind", "community", "branch", "masked_mobile", "active")
    list_filter = ("kind", "active", "is_central_household")
    search_fields = ("name", "work_unit", "community__name")
    list_select_related = ("community", "branch")
    raw_id_fields = ("household", "user", "branch", "party_group")

    @admin.display(description=_("mobile number"))
    def masked_mobile(self, obj):
        return obj.masked_phone


@admin.register(PartyGroup)
class PartyGroupAdmin(ScopedAdmin):
    list_display = ("name", "branch", "leader")
    search_fields = ("name", "branch__name")
    raw_id_fields = ("leader", "branch")
    filter_horizontal = ("micro_grids",)

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(branch__in=Branch.objects.visible_to(request.user))


class ServiceClaimInline(admin.TabularInline):
    model = ServiceClaim
    extra = 0


@admin.register(Registration)
class RegistrationAdmin(ScopedAdmin):
    list_display = ("member", "community", "status", "channel", "submitted_at")
    list_filter = ("status", "channel")
    search_fields = ("member__name", "community__name")
    list_select_related = ("member", "community")
    raw_id_fields = ("member", "decided_by")
    inlines = [ServiceClaimInline]


@admin.register(ServiceClaim)
class ServiceClaimAdmin(ScopedAdmin):
    list_display = ("registration", "post")
    list_filter = ("post",)
    search_fields = ("registration__member__name",)
    raw_id_fields = ("registration",)

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(registration__in=Registration.objects.visible_to(request.user))


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedAdmin):
    list_display = ("member", "community", "served_on", "post", "hours")
    list_filter = ("post",)
    search_fields = ("member__name", "description")
    date_hierarchy = "served_on"
    raw_id_fields = ("member", "recorded_by")


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(ScopedAdmin):
    list_display = ("member", "household", "since")
    search_fields = ("member__name", "household__address")
    raw_id_fields = ("member", "household")


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(ScopedAdmin):
    list_display = ("name", "kind", "community", "agreement_signed_on", "agreement_ends_on")
    list_filter = ("kind",)
    search_fields = ("name", "contact_name", "community__name")


class DecisionInline(admin.TabularInline):
    model = MeetingDecision
    extra = 0


@admin.register(JointMeeting)
class JointMeetingAdmin(ScopedAdmin):
    list_display = ("title", "community", "held_on")
    search_fields = ("title", "topics", "community__name")
    date_hierarchy = "held_on"
    filter_horizontal = ("units",)
    raw_id_fields = ("created_by",)
    inlines = [DecisionInline]


@admin.register(MeetingDecision)
class MeetingDecisionAdmin(ScopedAdmin):
    list_display = ("text", "meeting", "owner", "due_on", "done")
    list_filter = ("done",)
    search_fields = ("text", "owner")
    raw_id_fields = ("meeting",)

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return rows
        return rows.filter(meeting__in=JointMeeting.objects.visible_to(request.user))
