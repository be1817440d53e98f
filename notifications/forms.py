from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import PERSONAL_KINDS, NoticeChannel
from notifications.preferences import PERSONAL_CHANNELS


class ChannelPreferencesForm(forms.Form):
    """One checkbox per kind of notification and personal channel (email, SMS).

    A channel the user cannot be reached on (no address, no number) is shown disabled, so
    the form neither offers it nor writes it.
    """

    SEPARATOR = "__"

    def __init__(self, *args, user, current: dict[tuple[str, str], bool], **kwargs):
        super().__init__(*args, **kwargs)
        reachable = {NoticeChannel.EMAIL: bool(user.email), NoticeChannel.SMS: bool(user.phone)}
        self.kinds = list(PERSONAL_KINDS)
        self.channels = list(PERSONAL_CHANNELS)
        self.reachable = reachable
        for kind in self.kinds:
            for channel in self.channels:
                self.fields[self.name_for(kind, channel)] = forms.BooleanField(
                    label=_("%(channel)s: %(kind)s")
                    % {"channel": channel.label, "kind": kind.label},
                    required=False,
                    initial=current[(kind.value, channel.value)],
                    widget=forms.CheckboxInput(attrs={"class": "form-check-input fs-3 m-0"}),
                    disabled=not reachable[channel],
                )

    @classmethod
    def name_for(cls, kind, channel) -> str:
        return f"{kind}{cls.SEPARATOR}{channel}"

    def columns(self):
        """(channel, whether the user can be reached on it) for the table's head."""
        return [(channel, self.reachable[channel]) for channel in self.channels]

    def rows(self):
        """(kind, [bound field per channel]) for the table."""
        return [
            (kind, [self[self.name_for(kind, channel)] for channel in self.channels])
            for kind in self.kinds
        ]

    def choices(self) -> dict[tuple[str, str], bool]:
        return {
            tuple(name.rsplit(self.SEPARATOR, 1)): value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }


_KEEP = _("•••• set (leave empty to keep)")


class RobotForm(forms.Form):
    """Add or change a group robot. Its URL and secret are never put back into the form:
    on a saved robot, an empty field keeps what is stored."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (NoticeChannel.WECOM, NoticeChannel.WECOM.label),
            (NoticeChannel.DINGTALK, NoticeChannel.DINGTALK.label),
        ],
    )
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The robot's whole address, with its key; it is not shown again."),
    )
    secret = forms.CharField(
        label=_("Signing secret (DingTalk 加签)"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Only for a DingTalk robot with signing on; leave empty for WeCom."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)

    def __init__(self, *args, robot=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.robot = robot
        if robot is None:
            del self.fields["clear_secret"]
            return
        self.fields["version"].initial = robot.version
        self.fields["channel"].initial = robot.channel
        self.fields["url"].required = False
        self.fields["url"].widget.attrs["placeholder"] = _KEEP
        self.fields["url"].help_text = _("Saved: %(url)s. Paste a new address to replace it.") % {
            "url": robot.masked_url
        }
        if robot.secret:
            self.fields["secret"].widget.attrs["placeholder"] = _KEEP
        else:
            del self.fields["clear_secret"]

    def cleaned(self) -> dict:
        """What to hand the service: None for "keep what is saved"."""
        data = self.cleaned_data
        result = {"channel": data["channel"]}
        if self.robot is None:
            return {**result, "url": data["url"], "secret": data["secret"]}
        result["url"] = data["url"] or None
        if data.get("clear_secret"):
            result["secret"] = ""
        else:
            result["secret"] = data["secret"] or None
        return result
