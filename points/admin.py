from django.contrib import admin

from points import services
from points.models import (
    Account,
    Batch,
    Declaration,
    DeclarationPhoto,
    DeclarationStep,
    Entry,
    HonourList,
    HonourPeriod,
    HonourRow,
    Objection,
    Redemption,
    Reward,
    Rule,
    Scheme,
    StockChange,
)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "audience",
        "publicity_days",
        "expiry_months",
        "active",
    )

    def save_model(self, request, obj, form, change):
        # The same write as the schemes page (points/views/schemes.py).
        services.save_scheme(by=request.user, scheme=obj)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("scheme", "code", "version", "name_zh", "points", "unit", "superseded_at")
    list_filter = ("scheme", "unit", "verifier")
    search_fields = ("code", "name_zh", "name_en")

    def get_readonly_fields(self, request, obj=None):
        # A rule is named by its scheme and code: a revision changes the rest.
        return ("scheme", "code") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            # Posted entries cite this version: a change is a new one (points/services.py).
            services.revise_rule(
                rule=obj,
                by=request.user,
                **{f: form.cleaned_data[f] for f in form.changed_data if f in Rule.REVISABLE},
            )
        else:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "scheme"}
            obj.pk = services.add_rule(by=request.user, scheme=obj.scheme, **fields).pk


class ScopedByCommunity(admin.ModelAdmin):
    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(pk__in=self.model.objects.visible_to(request.user).values("pk"))


class ByAccount(admin.ModelAdmin):
    """Rows reached through an account: an officer sees those of their communities'."""

    account_field = "account"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(
            **{f"{self.account_field}__in": Account.objects.visible_to(request.user)}
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ScopedByCommunity):
    list_display = ("__str__", "scheme", "community", "balance")
    list_filter = ("scheme",)
    list_select_related = ("scheme", "community", "member", "resident", "user")
    readonly_fields = ("balance",)


@admin.register(Entry)
class EntryAdmin(ByAccount):
    """Read-only, as the database makes it: corrections are reversals (points/services.py)."""

    list_display = ("posted_at", "account", "amount", "kind", "rule", "source", "posted_by")
    list_filter = ("kind",)
    search_fields = ("source", "note", "idempotency_key")
    list_select_related = ("account__scheme", "rule", "posted_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reward)
class RewardAdmin(ScopedByCommunity):
    """Saved through points.services like the community's rewards pages; the stock moves
    there, with a note (``adjust_stock``), and at handovers."""

    list_display = ("name", "community", "cost", "stock", "station", "active")
    list_filter = ("active", "scheme")
    readonly_fields = ("stock",)

    def save_model(self, request, obj, form, change):
        services.save_reward(by=request.user, reward=obj)


@admin.register(StockChange)
class StockChangeAdmin(admin.ModelAdmin):
    """Read-only: stock moves through points.services.adjust_stock, with its note."""

    list_display = ("at", "reward", "change", "stock_after", "note", "by")
    list_select_related = ("reward", "by")
    readonly_fields = ("reward", "change", "stock_after", "note", "by", "at")

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(reward__in=Reward.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(ByAccount):
    list_display = ("created_at", "reward", "account", "confirmed_by")
    list_select_related = ("reward", "account", "confirmed_by")

    def has_change_permission(self, request, obj=None):
        return False


class DeclarationStepInline(admin.TabularInline):
    model = DeclarationStep
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(ByAccount):
    """Read-only: declarations move through points/services.py, step by recorded step."""

    list_display = ("served_on", "account", "rule", "hours", "state", "batch")
    list_filter = ("state",)
    list_select_related = ("account__scheme", "rule", "batch")
    readonly_fields = [f.name for f in Declaration._meta.fields if f.name != "id"]
    inlines = [DeclarationStepInline]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("branch", "state", "convener", "created_at", "submitted_at")
    list_filter = ("state",)
    readonly_fields = ("branch", "state", "convener", "created_at", "submitted_at")

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        from branches.models import Branch

        return rows.filter(branch__in=Branch.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False


@admin.register(DeclarationPhoto)
class DeclarationPhotoAdmin(ByAccount):
    account_field = "declaration__account"
    list_display = ("declaration", "image")
    readonly_fields = ("declaration", "image")


@admin.register(DeclarationStep)
class DeclarationStepAdmin(ByAccount):
    account_field = "declaration__account"
    list_display = ("declaration", "action", "actor", "at")
    readonly_fields = ("declaration", "action", "actor", "note", "at")


@admin.register(Objection)
class ObjectionAdmin(ByAccount):
    account_field = "declaration__account"
    list_display = ("created_at", "declaration", "raised_by", "reason")
    readonly_fields = ("declaration", "raised_by", "reason", "created_at")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HonourList)
class HonourListAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "area", "unit", "measure", "size", "active")

    def save_model(self, request, obj, form, change):
        services.save_honour_list(by=request.user, honour_list=obj)


class HonourRowInline(admin.TabularInline):
    model = HonourRow
    extra = 0
    can_delete = False
    readonly_fields = ("board", "rank", "unit_name", "unit_key", "value")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HonourPeriod)
class HonourPeriodAdmin(ScopedByCommunity):
    """Published lists are frozen: shown, never changed or removed here."""

    list_display = ("honour_list", "area", "period", "published_by", "published_at")
    readonly_fields = ("honour_list", "area", "period", "published_by", "published_at")
    inlines = [HonourRowInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HonourRow)
class HonourRowAdmin(admin.ModelAdmin):
    list_display = ("published", "board", "rank", "unit_name", "value")
    list_filter = ("board",)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(published__in=HonourPeriod.objects.visible_to(request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
