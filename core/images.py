"""Photo uploads: one gate for every image the project stores.

``clean_image`` accepts only files Pillow can really decode, refuses files over a byte
limit and images over a pixel cap (which also guards against decompression bombs), turns
the picture upright from its EXIF orientation, and re-encodes it as a JPEG no larger than
``IMAGE_MAX_SIDE`` pixels. Re-encoding drops every metadata block, so a phone photo's GPS
position and camera serial never reach a served file.

The two halves also work apart (``check_image``, then ``reencode``): a page that must answer
fast checks what safety needs and keeps the original as it came, marked as not processed and
served to no one, and a task re-encodes it (the public request form: tickets/tasks.py).

Stored photos live in the ``private`` storage (``PRIVATE_MEDIA_ROOT``, or a bucket when S3
is configured: ``core.s3``), which has no URL: views that check who is asking stream them (see
``serve_private``).
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, cached_property, empty
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# What phones and cameras produce; MPO is the multi-picture JPEG some cameras write.
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF"})
JPEG_QUALITY = 85


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _max_bytes() -> int:
    return _limit("IMAGE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


def _max_pixels() -> int:
    return _limit("IMAGE_MAX_PIXELS", 40_000_000)


def _not_an_image() -> ValidationError:
    return ValidationError(
        _("This file is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."),
        code="not_an_image",
    )


def _too_many_pixels(pixels: int | None, max_pixels: int) -> ValidationError:
    return ValidationError(
        _(
            "The picture is %(mp)s megapixels; at most %(max)s are accepted. "
            "Take it at a lower resolution or shrink it first."
        ),
        code="too_many_pixels",
        params={
            "mp": f"{pixels / 1e6:.0f}" if pixels else "> 89",
            "max": f"{max_pixels / 1e6:g}",
        },
    )


@contextlib.contextmanager
def _opened(upload, max_pixels: int):
    """``upload`` opened as an image of an accepted format with at most ``max_pixels``
    (read from the header, before any pixel is decoded); whatever Pillow raises on a bomb
    or on junk, while checking or while the caller decodes, becomes the ValidationError the
    form shows. The file is rewound afterwards."""
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit raises) on decompression bombs: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise _not_an_image()
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width * height, max_pixels)
                yield image
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(None, max_pixels) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            # SyntaxError and EOFError are what some of Pillow's decoders raise on junk.
            raise _not_an_image() from exc
        finally:
            upload.seek(0)


def check_image(upload, *, max_bytes: int | None = None, max_pixels: int | None = None) -> str:
    """What safety needs before a file is kept, without decoding its pixels: a byte cap, a
    format on the allow-list, a pixel cap read from the header (so a decompression bomb is
    refused before it is opened), and Pillow's ``verify`` of the file's structure. The format
    (``JPEG``, ``PNG``…), or ValidationError. Milliseconds, whatever the photo's size: the
    re-encoding (``reencode``) may then wait for a task."""
    max_bytes = max_bytes or _max_bytes()
    max_pixels = max_pixels or _max_pixels()
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; photos may be at most %(max)s MB.")
            % {"size": f"{size / 1024 / 1024:.1f}", "max": f"{max_bytes / 1024 / 1024:g}"},
            code="file_too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    with _opened(upload, max_pixels) as probe:
        found = probe.format
        probe.verify()
    return found


def reencode(upload, *, max_pixels: int | None = None) -> ContentFile:
    """A file ``check_image`` accepted, as a clean JPEG with a random name: upright from its
    EXIF orientation, at most ``IMAGE_MAX_SIDE`` pixels a side, every metadata block (the
    GPS position, the camera's serial) dropped. ValidationError if it cannot be decoded
    after all (a file truncated past its header)."""
    max_pixels = max_pixels or _max_pixels()
    max_side = _limit("IMAGE_MAX_SIDE", 2048)
    with _opened(upload, max_pixels) as image:
        if image.format in ("JPEG", "MPO"):
            # Decode at a reduced scale when the photo is far larger than we keep.
            image.draft("RGB", (max_side, max_side))
        image.seek(0)  # the first frame of an animation
        picture = _flatten(ImageOps.exif_transpose(image))
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif= or icc_profile= argument: nothing but the pixels is written.
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def clean_image(upload, *, max_bytes: int | None = None, max_pixels: int | None = None):
    """The upload as a clean JPEG ``ContentFile`` with a random name, or ValidationError:
    ``check_image`` then ``reencode``, in one go.

    ``upload`` is any file-like object (an ``UploadedFile``, a ``File``, ``BytesIO``).
    """
    check_image(upload, max_bytes=max_bytes, max_pixels=max_pixels)
    return reencode(upload, max_pixels=max_pixels)


# The name a checked original is kept under until it is re-encoded: its own format's suffix.
_SUFFIX = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def _each(photos, *, max_count: int, field: str, keep) -> list:
    photos = list(photos)
    if len(photos) > max_count:
        raise ValidationError({field: _("At most %(n)s photos.") % {"n": max_count}})
    kept, errors = [], []
    for upload in photos:
        try:
            kept.append(keep(upload))
        except ValidationError as error:
            name = getattr(upload, "name", "") or ""
            for message in error.messages:
                errors.append(f"{name}: {message}" if name else message)
    if errors:
        raise ValidationError({field: errors})
    return kept


def clean_photos(photos, *, max_count: int, field: str = "photos") -> list:
    """Every upload checked and re-encoded before anything is saved: one bad file refuses
    the lot (each error naming its file), and no file of the others reaches the disk."""
    return _each(photos, max_count=max_count, field=field, keep=clean_image)


def checked_photos(photos, *, max_count: int, field: str = "photos") -> list:
    """Every upload checked (``check_image``) and kept as it came, under a random name, for
    a task to re-encode: one bad file refuses the lot, as ``clean_photos`` does. What is
    kept still carries its metadata: it is stored as not processed and served to no one."""

    def keep(upload) -> ContentFile:
        found = check_image(upload)
        upload.seek(0)
        return ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.{_SUFFIX[found]}")

    return _each(photos, max_count=max_count, field=field, keep=keep)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels: transparency onto white, palettes, CMYK and 16-bit modes converted."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I") or image.mode == "F":
        # 16-bit or float greyscale: scale to 8 bits rather than clip to white.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L").convert("RGB")
    return image.convert("RGB")


# --- Storage with no URL ----------------------------------------------------------------------


@deconstructible(path="core.images.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT``, outside ``MEDIA_ROOT``: nothing serves them directly."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)
        super()._clear_cached_properties(setting, **kwargs)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up when first used and again after STORAGES changes.

    A FileField calls its storage callable once, when its model class is built: without this
    proxy every photo field would keep the backend of that moment (as ``default_storage`` does
    for Django's own fields)."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    """The ``private`` storage (a bucket without public access in production)."""
    return _private


def serve_private(field_file, *, public: bool = False) -> FileResponse:
    """Stream a stored photo to a caller the view has already checked."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    # Names are random and never reused, so a copy can be kept; private ones only by the browser.
    response["Cache-Control"] = "public, max-age=86400" if public else "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
