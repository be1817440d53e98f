from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grids.admin import ScopedAdmin
from notifications import services
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


_KEEP = _("•••• set (leave empty to keep)")


class WebhookTargetAdminForm(forms.ModelForm):
    """The URL (WeCom's carries its key) and the secret are never put back into the form:
    left empty, a saved robot keeps them (as on notifications/robots.py)."""

    class Meta:
        model = WebhookTarget
        fields = ["area", "channel", "url", "secret", "active"]
        widgets = {
            "url": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            "secret": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["url"].required = False
            self.fields["url"].widget.attrs["placeholder"] = _KEEP
            self.fields["url"].help_text = self.instance.masked_url
            if self.instance.secret:
                self.fields["secret"].widget.attrs["placeholder"] = _KEEP

    def clean_url(self):
        return self.cleaned_data.get("url") or self.instance.url

    def clean_secret(self):
        return self.cleaned_data.get("secret") or self.instance.secret

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                services.check_robot(self.instance)
            except ValidationError as error:
                self._update_errors(error)


@admin.register(WebhookTarget)
class WebhookTargetAdmin(ScopedAdmin):
    """Through notifications.services, like the robots' pages."""

    form = WebhookTargetAdminForm
    list_display = ("area", "channel", "active")
    list_filter = ("channel", "active")
    list_select_related = ("area",)
    search_fields = ("area__name", "area__code")

    def get_readonly_fields(self, request, obj=None):
        # A robot stays in its area (its group chat); add one in the other area instead.
        return ("area",) if obj else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.create_robot(
                by=request.user,
                area=data["area"],
                channel=data["channel"],
                url=data["url"],
                secret=data["secret"],
                active=data["active"],
            )
            obj.pk, obj.version = saved.pk, saved.version
            return
        fresh = WebhookTarget.objects.get(pk=obj.pk)
        services.update_robot(
            by=request.user,
            robot=fresh,
            channel=data["channel"],
            url=data["url"],
            secret=data["secret"],
        )
        if data["active"] != fresh.active:
            services.set_robot_active(by=request.user, robot=fresh, active=data["active"])
