"""Where a redirect built from request data may go: this site only."""

from __future__ import annotations

from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def local_redirect(request, url: str | None, fallback: str, *args, **kwargs):
    """A redirect to ``url`` when it is a path on this site, else to ``fallback``
    (a URL name, resolved with ``args``/``kwargs``). ``//evil.example`` and
    ``https://evil.example/`` are not paths on this site."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return redirect(url)
    return redirect(resolve_url(fallback, *args, **kwargs))
