from django.contrib import admin

from estates.models import Company, Estate, PublishedList, Rating, StandardItem


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "party_org", "contact_name", "active")
    list_filter = ("party_org", "active")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("branch", "department")

    def save_model(self, request, obj, form, change):
        # The company's department takes its requests: made with the company.
        from estates.services import set_up_company

        set_up_company(company=obj)


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "company", "households")
    list_filter = ("company",)
    search_fields = ("name",)
    raw_id_fields = ("community",)
    filter_horizontal = ("grids",)


@admin.register(StandardItem)
class StandardItemAdmin(admin.ModelAdmin):
    """The district's 红色物业 standard (e.g. 19 items)."""

    list_display = ("position", "text_zh", "max_score", "active")
    list_editable = ("max_score", "active")
    list_display_links = ("text_zh",)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("company", "community", "period", "state", "total", "stars")
    list_filter = ("period", "state")
    raw_id_fields = ("company", "community", "rated_by")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PublishedList)
class PublishedListAdmin(admin.ModelAdmin):
    list_display = ("area", "period", "published_by", "published_at")

    def has_change_permission(self, request, obj=None):
        return False
