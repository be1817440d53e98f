from django import template

from core.durations import in_words as _in_words

register = template.Library()


@register.filter
def in_words(moment):
    """``{{ deadline|in_words }}``: "in about 2 hours", rounded as people say it."""
    return _in_words(moment) if moment else ""
