"""The signed-in user kept in the shared cache: a change to them counts on the next request.

On Redis each request takes the user from the cache instead of the database. These tests
try what would hurt if it went wrong: a deactivated or deleted account, a stolen session
after a password change, an entry written under an old version or for another database.
"""

import pytest
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.urls import reverse

from accounts import backends
from accounts.models import User
from core import versioned
from tests.conftest import record_calls

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def database_reads(monkeypatch):
    """The users read from the database to sign a request in."""
    return record_calls(
        monkeypatch, DjangoModelBackend, "get_user", lambda backend, user_id: int(user_id)
    )


@pytest.fixture
def signed_in(client, own_worker):
    client.force_login(own_worker)
    return client


PAGE = "/accounts/profile/"


def test_a_warm_request_takes_the_user_from_the_shared_cache(
    shared_cache, signed_in, own_worker, database_reads
):
    for _ in range(3):
        assert signed_in.get(PAGE).status_code == 200
    assert database_reads == [own_worker.pk]


def test_without_a_shared_cache_every_request_reads_the_user(
    settings, signed_in, own_worker, database_reads
):
    settings.SHARED_CACHE = False  # a per-process cache would hide changes made elsewhere
    for _ in range(3):
        assert signed_in.get(PAGE).status_code == 200
    assert database_reads == [own_worker.pk] * 3


def test_a_deactivated_user_is_signed_out_on_the_next_request(shared_cache, signed_in, own_worker):
    assert signed_in.get(PAGE).status_code == 200
    own_worker.is_active = False
    own_worker.save()
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("login"))


def test_a_deleted_user_is_signed_out_on_the_next_request(shared_cache, signed_in, own_worker):
    assert signed_in.get(PAGE).status_code == 200
    User.objects.filter(pk=own_worker.pk).delete()
    assert signed_in.get(PAGE).status_code == 302


def test_a_new_password_signs_out_other_sessions_at_once(shared_cache, client, own_worker):
    stolen = client.__class__()
    stolen.force_login(own_worker)
    assert stolen.get(PAGE).status_code == 200
    own_worker.set_password("a-new-password-2026")
    own_worker.save()
    assert stolen.get(PAGE).status_code == 302


def test_a_changed_language_shows_on_the_next_page(shared_cache, signed_in, own_worker):
    signed_in.get(PAGE)
    own_worker.language = "en"
    own_worker.save()
    assert signed_in.get(PAGE).headers["Content-Language"] == "en"
    own_worker.language = "zh-hans"
    own_worker.save()
    assert signed_in.get(PAGE).headers["Content-Language"] == "zh-hans"


def test_an_entry_under_an_old_version_is_not_believed(shared_cache, signed_in, own_worker):
    """A request that read the row before a change and cached it after must not win."""
    signed_in.get(PAGE)
    old = versioned.current(backends.version_key(own_worker.pk))
    generation = versioned.current(backends.GENERATION)
    own_worker.is_active = False
    own_worker.save()
    stale = User.objects.get(pk=own_worker.pk)
    stale.is_active = True
    versioned.remember(backends.entry_key(own_worker.pk), old, stale, generation)
    assert signed_in.get(PAGE).status_code == 302


def test_users_loaded_without_signals_are_read_afresh(
    shared_cache, signed_in, own_worker, database_reads
):
    """A re-seeded database reuses primary keys: bulk loads renew the generation."""
    signed_in.get(PAGE)
    backends.users_reloaded()
    signed_in.get(PAGE)
    assert database_reads == [own_worker.pk, own_worker.pk]


def test_a_lost_version_means_the_database_is_read(
    shared_cache, signed_in, own_worker, database_reads
):
    signed_in.get(PAGE)
    shared_cache.delete(backends.version_key(own_worker.pk))
    signed_in.get(PAGE)
    assert database_reads == [own_worker.pk, own_worker.pk]
