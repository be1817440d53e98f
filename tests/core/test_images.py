"""core.images: every upload is a real image, within limits, upright, re-encoded, stripped."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.images import PrivateStorage, clean_image, private_storage


def _file(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _jpeg(width=120, height=80, exif=None, colour=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), colour)
    if exif is not None:
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


def _reopen(result) -> Image.Image:
    result.seek(0)
    image = Image.open(io.BytesIO(result.read()))
    image.load()
    return image


def _message(caught) -> str:
    return " ".join(caught.value.messages)


def test_a_photo_comes_back_as_a_jpeg_with_a_random_name():
    first = clean_image(_file(_jpeg()))
    second = clean_image(_file(_jpeg()))
    assert first.name.endswith(".jpg") and first.name != second.name
    assert "photo" not in first.name
    image = _reopen(first)
    assert image.format == "JPEG" and image.size == (120, 80)


def test_gps_and_camera_data_are_stripped():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[2] = (31.0, 45.0, 0.0)  # GPSLatitude
    gps[4] = (119.0, 57.0, 0.0)  # GPSLongitude
    original = _jpeg(exif=exif)
    assert b"PhoneMaker" in original
    cleaned = clean_image(_file(original))
    data = cleaned.read()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    assert not _reopen(cleaned).getexif()


def test_the_exif_orientation_is_applied_to_the_pixels():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    cleaned = clean_image(_file(_jpeg(width=120, height=80, exif=exif)))
    assert _reopen(cleaned).size == (80, 120)


def test_large_photos_are_shrunk_to_the_longest_side(settings):
    settings.IMAGE_MAX_SIDE = 300
    cleaned = clean_image(_file(_jpeg(width=1200, height=900)))
    assert _reopen(cleaned).size == (300, 225)


def test_transparent_png_and_animated_gif_become_flat_jpegs():
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 40), (255, 0, 0, 0)).save(buffer, "PNG")
    png = _reopen(clean_image(_file(buffer.getvalue(), "a.png")))
    assert png.mode == "RGB" and png.getpixel((5, 5)) == (255, 255, 255)  # white, not black
    frames = [Image.new("P", (30, 20), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert _reopen(clean_image(_file(buffer.getvalue(), "a.gif"))).size == (30, 20)


def test_a_sixteen_bit_greyscale_png_is_accepted():
    buffer = io.BytesIO()
    Image.new("I;16", (20, 10), 40000).save(buffer, "PNG")
    image = _reopen(clean_image(_file(buffer.getvalue(), "scan.png")))
    assert image.mode == "RGB" and image.getpixel((1, 1))[0] > 100


def test_a_renamed_program_is_refused_with_a_clear_message():
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    with pytest.raises(ValidationError) as caught:
        clean_image(_file(program, "holiday.jpg"))
    assert caught.value.code == "not_an_image"
    assert "not a photo we can read" in _message(caught)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        _jpeg()[:200],  # cut off mid-file
        b"GIF89a" + b"\x00" * 20,
        b"%PDF-1.7\n" + b"x" * 100,
    ],
    ids=["empty", "truncated-jpeg", "broken-gif", "pdf"],
)
def test_broken_or_foreign_files_are_refused(data):
    with pytest.raises(ValidationError):
        clean_image(_file(data))


def test_a_bmp_or_tiff_is_not_among_the_accepted_formats():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "TIFF")
    with pytest.raises(ValidationError) as caught:
        clean_image(_file(buffer.getvalue(), "scan.tif"))
    assert caught.value.code == "not_an_image"


def test_a_sixty_megapixel_image_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, "PNG")  # small file, 60 million pixels
    assert len(buffer.getvalue()) < 10 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        clean_image(_file(buffer.getvalue(), "huge.png"))
    assert caught.value.code == "too_many_pixels"
    assert "60 megapixels" in _message(caught) and "at most 40" in _message(caught)


def test_pillows_decompression_bomb_guard_is_refused_too(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValidationError) as caught:
        clean_image(_file(_jpeg(width=60, height=40)), max_pixels=10**9)
    assert caught.value.code == "too_many_pixels"


def test_a_twenty_megabyte_file_is_refused_without_opening_it():
    data = _jpeg() + b"\x00" * (20 * 1024 * 1024)
    with pytest.raises(ValidationError) as caught:
        clean_image(_file(data))
    assert caught.value.code == "file_too_large"
    assert "20.0 MB" in _message(caught) and "at most 10 MB" in _message(caught)


def test_limits_come_from_settings(settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationError):
        clean_image(_file(_jpeg(width=400, height=400, colour=(1, 2, 3)) + b"\x00" * 2000))
    settings.IMAGE_UPLOAD_MAX_BYTES = 10**7
    settings.IMAGE_MAX_PIXELS = 100
    with pytest.raises(ValidationError):
        clean_image(_file(_jpeg(width=20, height=20)))


def test_private_files_have_no_url_and_live_outside_media_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = private_storage()
    assert isinstance(storage, PrivateStorage)
    name = storage.save("x/photo.jpg", clean_image(_file(_jpeg())))
    assert (tmp_path / "private" / name).exists()
    assert not str(storage.path(name)).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        storage.url(name)
