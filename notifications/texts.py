"""What a notification says: one place for the bell, the notifications page, email, the group
robots and SMS. Rows store a kind and parameters; the words are chosen when the message is
shown or sent, in the reader's language (call inside ``translation.override``).

The words of each kind belong to the app that sends it (the deadline notices are the tickets
app's, tickets/notices.py): it registers a describer for its kinds when it is ready, and
notifications never learns what a ticket is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse

from notifications.models import Notification


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    # A path on this site ("/tickets/…/"); channels that leave the site make it absolute.
    link: str


Describer = Callable[[Notification], Text]
_describers: dict[str, Describer] = {}


def register(kinds: Iterable[str], describer: Describer) -> None:
    """``describer`` says what notifications of these kinds say (called from ``ready()``)."""
    for kind in kinds:
        _describers[str(kind)] = describer


def describe(notification: Notification) -> Text:
    describer = _describers.get(notification.kind)
    if describer is None:
        # A kind whose app is gone: still a readable line, and the way back to the list.
        return Text(
            title=str(notification.get_kind_display()), body="", link=reverse("notifications")
        )
    return describer(notification)
