from django.contrib import admin

from points.models import Account, Entry, Redemption, Reward, Rule, Scheme


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "expiry_months", "active")


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("scheme", "code", "version", "name_zh", "points", "unit", "superseded_at")
    list_filter = ("scheme", "unit", "verifier")
    search_fields = ("code", "name_zh", "name_en")


class ScopedByCommunity(admin.ModelAdmin):
    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(pk__in=self.model.objects.visible_to(request.user).values("pk"))


@admin.register(Account)
class AccountAdmin(ScopedByCommunity):
    list_display = ("__str__", "scheme", "community", "balance")
    list_filter = ("scheme",)
    list_select_related = ("scheme", "community", "member", "resident", "user")
    readonly_fields = ("balance",)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Read-only, as the database makes it: corrections are reversals (points/services.py)."""

    list_display = ("posted_at", "account", "amount", "kind", "rule", "source", "posted_by")
    list_filter = ("kind",)
    search_fields = ("source", "note", "idempotency_key")
    list_select_related = ("account__scheme", "rule", "posted_by")

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(account__in=Account.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reward)
class RewardAdmin(ScopedByCommunity):
    list_display = ("name", "community", "cost", "stock", "station", "active")
    list_filter = ("active", "scheme")


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reward", "account", "confirmed_by")
    list_select_related = ("reward", "account", "confirmed_by")

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(account__in=Account.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
