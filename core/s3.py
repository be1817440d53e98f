"""Private photos on S3-compatible storage (MinIO in production), when S3_BUCKET is set.

A separate module from ``core.images`` so that boto3 is imported only where S3 is configured.

Private files are streamed through the views that check access (``core.images.serve_private``),
never handed out as presigned URLs: a presigned link works for anyone who holds it until it
expires (forwarded in a chat, kept in a browser's history), it would point the page at the
bucket's host, which the Content-Security-Policy's ``img-src 'self'`` refuses, and the access
check would run once per link instead of once per request. A photo is at most a few hundred
kilobytes after ``clean_image``, so the web worker's cost of relaying it is small.
"""

from __future__ import annotations

from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage


@deconstructible(path="core.s3.PrivateS3Storage")
class PrivateS3Storage(S3Storage):
    """A bucket (or a prefix of one) that nothing serves directly: no URL, not even a signed one."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")
