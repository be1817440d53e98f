"""Media on S3-compatible storage (S3_BUCKET), against a real S3 API: moto's server on loopback.

Web nodes keep nothing on their own disk: photos and public media go to the bucket, private
photos stay behind the views that check access.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import boto3
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer

from core.images import private_storage
from core.s3 import PrivateS3Storage
from tests.core.test_settings import PRODUCTION, run_manage
from tests.factories import jpeg
from tickets.models import Photo, Ticket

BUCKET = "grid-media"
PUBLIC_MEDIA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{BUCKET}/media/*"],
        }
    ],
}
KEYS = {"access_key": "grid-test", "secret_key": "grid-test-secret"}


@pytest.fixture(scope="session")
def s3_endpoint():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """An empty bucket, and STORAGES as governance/settings.py builds them for S3_BUCKET."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    # What deploy/minio-init.sh grants: anyone may read media/, nobody private/.
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_MEDIA_POLICY))
    common = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "signature_version": "s3v4",
        "addressing_style": "path",
        "file_overwrite": False,
        "default_acl": None,
        **KEYS,
    }
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "media", "querystring_auth": False},
        },
        "private": {
            "BACKEND": "core.s3.PrivateS3Storage",
            "OPTIONS": {**common, "location": "private"},
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.mark.django_db
def test_a_residents_photo_lands_in_the_bucket_and_only_its_grid_is_served_it(
    client,
    bucket,
    s3_endpoint,
    matter,
    own_worker,
    neighbour_worker,
    settings,
    django_capture_on_commit_callbacks,
):
    cache.clear()  # the public form's rate-limit counters
    # After the commit, its task re-encodes it in the bucket and removes the original there.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("resident_request", kwargs={"code": "G1"}),
            {
                "matter": matter.pk,
                "description": "3幢楼道堆满纸箱，消防通道被堵",
                "address": "幸福花园3幢2单元",
                "reporter_phone": "13812345678",
                "website": "",
                "photos": [jpeg("stairs.jpg")],
            },
            REMOTE_ADDR="10.0.0.7",
        )
    assert response.status_code == 302
    photo = Photo.objects.get(ticket=Ticket.objects.get())

    key = f"private/{photo.image.name}"
    assert _keys(bucket) == [key]
    assert not settings.PRIVATE_MEDIA_ROOT.exists() or not any(
        p.is_file() for p in settings.PRIVATE_MEDIA_ROOT.rglob("*")
    )
    assert isinstance(photo.image.storage, PrivateS3Storage)
    with pytest.raises(ValueError, match="no URL"):
        _ = photo.image.url

    url = reverse("ticket_photo", kwargs={"pk": photo.pk})
    client.force_login(own_worker)
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert answer["Cache-Control"] == "private, max-age=3600"
    stored = bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    # Straight from the bucket without credentials: refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{key}", timeout=5)  # noqa: S310
    assert refused.value.code == 403
    assert b"".join(answer.streaming_content) == stored and stored[:2] == b"\xff\xd8"

    client.force_login(neighbour_worker)
    assert client.get(url).status_code == 404

    # Gone from the bucket (a lost object, a restore without media): a 404, not a 500.
    bucket.delete_object(Bucket=BUCKET, Key=key)
    client.force_login(own_worker)
    assert client.get(url).status_code == 404


def test_public_media_goes_to_the_bucket_under_a_plain_link(bucket, settings):
    name = default_storage.save("posters/qr.txt", ContentFile(b"poster"))
    assert _keys(bucket) == [f"media/{name}"]
    assert not (settings.MEDIA_ROOT / name).exists()
    link = default_storage.url(name)
    assert "Signature" not in link and "X-Amz" not in link
    with urllib.request.urlopen(link, timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.read() == b"poster"


def test_a_private_file_has_no_link_not_even_a_signed_one(bucket):
    storage = private_storage()
    name = storage.save("imports/x.xlsx", ContentFile(b"rows"))
    assert _keys(bucket) == [f"private/{name}"]
    with pytest.raises(ValueError, match="no URL"):
        storage.url(name)
    with storage.open(name) as handle:
        assert handle.read() == b"rows"


def _storages(**env: str) -> str:
    shown = (
        "from django.conf import settings as s; "
        "print(s.STORAGES['default']['BACKEND'], s.STORAGES['private']['BACKEND'], "
        "s.STORAGES['private'].get('OPTIONS', {}).get('bucket_name'), "
        "s.STORAGES['private'].get('OPTIONS', {}).get('endpoint_url'))"
    )
    result = run_manage("shell", "-c", shown, **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_without_s3_settings_media_stay_on_the_file_system():
    assert _storages() == (
        "django.core.files.storage.FileSystemStorage core.images.PrivateStorage None None"
    )


def test_s3_settings_put_both_storages_in_the_bucket():
    assert _storages(
        S3_BUCKET="grid",
        S3_PRIVATE_BUCKET="grid-private",
        S3_ENDPOINT_URL="http://minio:9000",
        S3_ACCESS_KEY_ID="grid",
        S3_SECRET_ACCESS_KEY="secret",
    ) == ("storages.backends.s3.S3Storage core.s3.PrivateS3Storage grid-private http://minio:9000")
