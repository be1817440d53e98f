"""The ticket page's line of joint actions (tickets/joint.py): one query, read in the
template so the page's view stays as it is."""

from django import template

from tickets import joint

register = template.Library()


@register.simple_tag
def joint_actions_of(ticket) -> list:
    # The ticket page's query says whether there are any (``has_joint_actions``).
    if not getattr(ticket, "has_joint_actions", True):
        return []
    return joint.for_ticket(ticket)
