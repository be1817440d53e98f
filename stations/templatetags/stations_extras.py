from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def metres(value) -> str:
    """850 m, 1.2 km; "—" when unknown or unreachable."""
    if value is None or value != value or value == float("inf"):  # None, NaN, inf
        return "—"
    if value < 1000:
        return _("%(n)s m") % {"n": number_format(round(value / 10) * 10, 0)}
    return _("%(n)s km") % {"n": number_format(value / 1000, 1)}


@register.filter
def percent(value) -> str:
    """A share as 93.4%; "—" when there is nothing to divide."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, 1)}%"
