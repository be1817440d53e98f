from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NoticeChannel, NoticeKind
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
        self.kinds = list(NoticeKind)
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
