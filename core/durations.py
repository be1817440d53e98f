"""How far away a moment is, said as people say it: "in about 2 hours", "in 7 days".

Django's ``naturaltime`` and ``timeuntil`` truncate ("1 hour" for 1 h 59 min) and stack units
("6 days, 23 hours"); a resident reading a deadline wants one rounded figure.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MINUTE, HOUR, DAY = 60, 3600, 86400


def _rounded_minutes(seconds: float) -> int:
    minutes = seconds / MINUTE
    step = 5 if minutes < 10 else 10  # "in 5 minutes", "in 20 minutes", never "in 17"
    return max(step, int(minutes / step + 0.5) * step)


def in_words(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """``moment`` relative to ``now``: one unit, rounded to what a person would say."""
    seconds = (moment - (now or timezone.now())).total_seconds()
    future, seconds = seconds >= 0, abs(seconds)
    if seconds < 2.5 * MINUTE:
        return _("in a moment") if future else _("just now")
    if seconds < HOUR:
        count = _rounded_minutes(seconds)
        if count < 60:
            if future:
                return ngettext("in %(count)d minute", "in %(count)d minutes", count) % {
                    "count": count
                }
            return ngettext("%(count)d minute ago", "%(count)d minutes ago", count) % {
                "count": count
            }
    hours = int(seconds / HOUR + 0.5)
    if hours < 24:
        if future:
            return ngettext("in about %(count)d hour", "in about %(count)d hours", hours) % {
                "count": hours
            }
        return ngettext("about %(count)d hour ago", "about %(count)d hours ago", hours) % {
            "count": hours
        }
    days = max(1, int(seconds / DAY + 0.5))
    if future:
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
