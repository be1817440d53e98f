"""``{% memo "name" value… %}…{% endmemo %}``: a fragment rendered once per process for each
set of the values it names, then copied (issue 27: the navbar, the footer and the links of
every page were ~40% of a kept page's time).

The fragment must depend on nothing but the values named, the language (always part of the
key) and what is fixed for the life of a process (URLs, static files' names): it is a
function of its key, so a copy is never stale and no cache server is involved. Its CSRF
token is rendered as a placeholder and each response gets its own. Under
``settings.MEMO_VERIFY`` (the tests) every copy is rendered again and compared, so a value
used but not named fails the test that shows it. Off with DEBUG, where templates reload.

A memo holds no block (a copy would show the first page's override on every page), so
``{% extends %}``'s search for blocks, on every page, need not walk through the navbar.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader_tags import BlockNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.kept_bodies import CSRF_PLACEHOLDER

register = template.Library()

# ~4 KB a fragment: a few MB a process at most.
KEPT = 2_000
_FRAGMENTS: OrderedDict[tuple, str] = OrderedDict()
_LOCK = threading.Lock()


class MemoDiffers(AssertionError):
    """A memo's copy differs from its fragment rendered afresh: it uses a value it does not
    name."""


class MemoNode(template.Node):
    # Nothing below is a block: ``{% extends %}`` need not look (see the module's docstring).
    child_nodelists = ()

    def __init__(self, name: str, values: list, nodelist: template.NodeList):
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def _render(self, context) -> str:
        with context.push(csrf_token=CSRF_PLACEHOLDER):
            return self.nodelist.render(context)

    def render(self, context) -> str:
        if settings.DEBUG:
            return self.nodelist.render(context)
        key = (self.name, get_language(), *(str(v.resolve(context)) for v in self.values))
        with _LOCK:
            fragment = _FRAGMENTS.get(key)
            if fragment is not None:
                _FRAGMENTS.move_to_end(key)
        if fragment is None:
            fragment = self._render(context)
            with _LOCK:
                _FRAGMENTS[key] = fragment
                while len(_FRAGMENTS) > KEPT:
                    _FRAGMENTS.popitem(last=False)
        elif getattr(settings, "MEMO_VERIFY", False):
            fresh = self._render(context)
            if fresh != fragment:
                raise MemoDiffers(f"memo {self.name!r} {key!r}: a value it uses is not in its key")
        if CSRF_PLACEHOLDER in fragment:
            token = str(context.get("csrf_token") or "")
            if token in ("", "NOTPROVIDED"):  # no request: as {% csrf_token %} would
                return self.nodelist.render(context)
            fragment = fragment.replace(CSRF_PLACEHOLDER, token)
        return mark_safe(fragment)


@register.tag
def memo(parser, token):
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('{% memo "name" value… %} takes a quoted name first')
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        # Copied, it would show the first page's override of the block on every page.
        raise template.TemplateSyntaxError("{% memo %} cannot hold a {% block %}")
    return MemoNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


@receiver(setting_changed)
def forget(**kwargs) -> None:
    """A setting changed (in tests): URLs or static files' names may be others now."""
    with _LOCK:
        _FRAGMENTS.clear()
