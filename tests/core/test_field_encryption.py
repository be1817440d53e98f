"""Personal data at rest (core.crypto, core.fields): ID numbers, mobiles and care categories
are unreadable in the database and in a real pg_dump, and still found, counted and rotated."""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import threading
from urllib.parse import quote

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count
from django.utils import translation

from branches.models import PartyMember
from core import crypto
from core.fields import Unreadable, reencrypt, rotate_all
from core.models import CalendarDay
from governance import env
from grids.models import CareCategory, Household, Resident, ResidentCare
from grids.search import household_matches
from tests.factories import HouseholdFactory, ResidentFactory, make_id_number
from tickets import services as tickets
from tickets.catalogue import fill_defaults
from tickets.models import Category, Channel, Department, Matter, Ticket

NEW_KEY = crypto.generate_key("k2")
NEW_HASH_KEY = crypto.generate_key("h2")


def _raw(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608 - test
            [pk],
        )
        return cursor.fetchone()[0]


def _set_raw(model, pk, column, value):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",  # noqa: S608 - test
            [value, pk],
        )


def _parsed(*entries: str) -> list[tuple[str, bytes]]:
    return [(e.split(":", 1)[0], base64.b64decode(e.split(":", 1)[1])) for e in entries]


@pytest.fixture
def new_resident(territory):
    """A resident in a new household of grid G1."""

    def make(**values):
        values.setdefault("household", HouseholdFactory(grid=territory.grid))
        return ResidentFactory(**values)

    return make


@pytest.fixture
def new_keys(settings):
    """A new encryption key and a new hash key put first; the old ones kept to read."""

    def rotate_keys(*, hash_too: bool = True, drop_old: bool = False):
        keys = _parsed(NEW_KEY)
        hashes = _parsed(NEW_HASH_KEY) if hash_too else []
        settings.FIELD_ENCRYPTION_KEYS = keys + (
            [] if drop_old else list(django_settings.FIELD_ENCRYPTION_KEYS)
        )
        old_hashes = [] if drop_old and hash_too else list(django_settings.FIELD_HASH_KEYS)
        settings.FIELD_HASH_KEYS = hashes + [h for h in old_hashes if h not in hashes]

    return rotate_keys


def test_an_id_number_and_a_mobile_are_stored_encrypted_and_read_back_plain(new_resident):
    resident = new_resident(id_number="110101199003070011", phone="13912345678")
    stored = _raw(Resident, resident.pk, "id_number")
    assert stored.startswith("v1:dev:") and "110101199003070011" not in stored
    assert "13912345678" not in _raw(Resident, resident.pk, "phone")
    assert _raw(Resident, resident.pk, "phone_last4") == "5678"
    assert _raw(Resident, resident.pk, "phone_hash").startswith("dev:")
    resident.refresh_from_db()
    assert (resident.id_number, resident.phone) == ("110101199003070011", "13912345678")
    assert resident.masked_phone.endswith("5678")
    # Two equal values encrypt differently (a fresh nonce each time).
    other = new_resident(phone="13912345678")
    assert _raw(Resident, other.pk, "phone") != _raw(Resident, resident.pk, "phone")


def test_blank_stays_blank_so_that_has_a_mobile_is_a_query(new_resident):
    resident = new_resident(id_number="", phone="")
    assert _raw(Resident, resident.pk, "phone") == ""
    assert _raw(Resident, resident.pk, "phone_hash") == ""
    assert Resident.objects.filter(pk=resident.pk, phone="").exists()
    assert not Resident.objects.filter(pk=resident.pk).exclude(phone="").exists()


def test_a_value_moved_to_another_column_does_not_decrypt(caplog, new_resident):
    resident = new_resident(phone="13912345678")
    _set_raw(Resident, resident.pk, "id_number", _raw(Resident, resident.pk, "phone"))
    with caplog.at_level(logging.ERROR, logger="core.fields"):
        resident.refresh_from_db()
    assert isinstance(resident.id_number, Unreadable) and resident.id_number == ""
    assert "undecryptable" in caplog.text


def test_a_tampered_value_reads_as_unreadable_and_a_save_keeps_it(caplog, new_resident):
    resident = new_resident(phone="13912345678")
    stored = _raw(Resident, resident.pk, "phone")
    head, body = stored.rsplit(":", 1)
    tampered = f"{head}:{body[:-6]}{'A' if body[-6] != 'A' else 'B'}{body[-5:]}"
    _set_raw(Resident, resident.pk, "phone", tampered)
    resident.refresh_from_db()
    assert resident.phone == "" and isinstance(resident.phone, Unreadable)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, column="grids.Resident.phone")
    resident.name = "改名"
    resident.save()
    # Not destroyed by the save: the operator can still restore the key or the value.
    assert _raw(Resident, resident.pk, "phone") == tampered
    page = household_matches("改名")
    assert Household.objects.filter(page).exists()


def test_a_value_without_its_key_does_not_decrypt(settings, new_resident):
    resident = new_resident(phone="13912345678")
    stored = _raw(Resident, resident.pk, "phone")
    settings.FIELD_ENCRYPTION_KEYS = _parsed(NEW_KEY)
    with pytest.raises(crypto.DecryptionError, match="no key with id 'dev'"):
        crypto.decrypt(stored, column="grids.Resident.phone")
    assert Resident.objects.get(pk=resident.pk).phone == ""


def test_exact_lookups_go_through_the_keyed_hash(new_resident):
    one = new_resident(id_number="110101199003070011", phone="13912345678")
    two = new_resident(phone="13800000001")
    assert list(Resident.objects.filter(phone="13912345678")) == [one]
    assert list(Resident.objects.filter(id_number="110101199003070011")) == [one]
    assert set(Resident.objects.filter(phone__in=["13912345678", "13800000001", None])) == {
        one,
        two,
    }
    assert not Resident.objects.filter(phone__in=[]).exists()
    assert not Resident.objects.filter(phone="13000000000").exists()


def test_lookups_a_ciphertext_cannot_answer_fail_loudly(db):
    for lookup in ("phone__endswith", "phone__icontains", "id_number__startswith"):
        with pytest.raises(FieldError):
            list(Resident.objects.filter(**{lookup: "5678"}))


def test_the_last_four_digits_find_the_household(new_resident):
    resident = new_resident(phone="13912345678")
    new_resident(phone="13900001111")
    found = Household.objects.filter(household_matches("5678"))
    assert list(found) == [resident.household]


def test_an_id_number_is_unique_through_its_hash(new_resident, territory):
    new_resident(id_number="110101199003070011")
    duplicate = Resident(
        household=HouseholdFactory(grid=territory.grid), name="重", id_number="110101199003070011"
    )
    with pytest.raises(Exception, match="already has this ID number"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    # Blank ID numbers do not collide.
    new_resident(id_number="")
    new_resident(id_number="")


def test_update_fields_and_bulk_update_keep_the_hash_and_last_digits(new_resident):
    resident = new_resident(phone="13912345678")
    resident.phone = "13600002222"
    resident.save(update_fields=["phone"])
    assert Resident.objects.filter(phone="13600002222", phone_last4="2222").exists()
    resident.phone = "13600003333"
    Resident.objects.bulk_update([resident], ["phone"])
    assert list(Resident.objects.filter(phone="13600003333", phone_last4="3333")) == [resident]


def test_a_care_category_is_a_token_that_filters_groups_and_counts(new_resident):
    first, second = new_resident(), new_resident()
    ResidentCare.objects.create(resident=first, category=CareCategory.ELDERLY_ALONE)
    ResidentCare.objects.create(resident=second, category=CareCategory.ELDERLY_ALONE)
    ResidentCare.objects.create(resident=second, category=CareCategory.DISABLED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT category FROM grids_residentcare")
        tokens = {row[0] for row in cursor.fetchall()}
    assert all(t.startswith("dev:") for t in tokens) and len(tokens) == 2
    assert ResidentCare.objects.filter(category=CareCategory.ELDERLY_ALONE).count() == 2
    assert ResidentCare.objects.filter(category__in=[CareCategory.DISABLED]).count() == 1
    counts = dict(
        ResidentCare.objects.values("category").annotate(n=Count("pk")).values_list("category", "n")
    )
    assert counts == {"elderly_alone": 2, "disabled": 1}
    assert Resident.objects.filter(care__category=CareCategory.DISABLED).get() == second
    care = ResidentCare.objects.get(category=CareCategory.DISABLED)
    assert care.get_category_display() == "Disabled"


def test_members_and_requests_keep_their_mobiles_encrypted_and_findable(db, territory):
    member = PartyMember.objects.create(
        name="党员", phone="13700007777", community=territory.community
    )
    assert "13700007777" not in _raw(PartyMember, member.pk, "phone")
    assert PartyMember.objects.filter(phone="13700007777").get() == member


def test_rotation_rewrites_old_rows_once_and_lookups_work_throughout(new_keys, new_resident):
    residents = [new_resident() for _ in range(7)]
    care = ResidentCare.objects.create(resident=residents[0], category=CareCategory.VETERAN)
    phone = residents[3].phone
    new_keys()
    # Before the rotation: old rows are still read and found (every hash key is matched).
    assert Resident.objects.get(pk=residents[3].pk).phone == phone
    assert list(Resident.objects.filter(phone=phone)) == [residents[3]]
    assert ResidentCare.objects.filter(category=CareCategory.VETERAN).get() == care
    counts = rotate_all(batch=3)
    assert counts["grids.Resident"]["rewritten"] == 7
    assert counts["grids.ResidentCare"]["rewritten"] == 1
    assert all(not c for c in rotate_all(batch=3).values())  # a second run changes nothing
    assert _raw(Resident, residents[3].pk, "phone").startswith("v1:k2:")
    assert _raw(Resident, residents[3].pk, "phone_hash").startswith("h2:")
    new_keys(drop_old=True)  # only the new keys left
    assert Resident.objects.get(pk=residents[3].pk).phone == phone
    assert list(Resident.objects.filter(phone=phone)) == [residents[3]]
    assert ResidentCare.objects.filter(category=CareCategory.VETERAN).get() == care


def test_rotation_encrypts_rows_left_plain_by_an_older_version(new_resident):
    resident = new_resident(phone="13912345678", id_number="110101199003070011")
    care = ResidentCare.objects.create(resident=resident, category=CareCategory.VETERAN)
    _set_raw(Resident, resident.pk, "phone", "13912345678")
    _set_raw(Resident, resident.pk, "phone_hash", "")
    _set_raw(ResidentCare, care.pk, "category", "veteran")
    assert Resident.objects.get(pk=resident.pk).phone == "13912345678"  # read as it is
    assert reencrypt(Resident)["rewritten"] == 1
    assert reencrypt(ResidentCare)["rewritten"] == 1
    assert _raw(Resident, resident.pk, "phone").startswith("v1:")
    assert list(Resident.objects.filter(phone="13912345678")) == [resident]
    assert _raw(ResidentCare, care.pk, "category").startswith("dev:")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotation_under_load_loses_no_concurrent_edit(new_keys, territory):
    homes = [HouseholdFactory(grid=territory.grid) for _ in range(20)]
    rows = [
        Resident(
            household=homes[n % 20],
            name=f"居民{n}",
            id_number=make_id_number(),
            phone=f"135{n:08d}",
        )
        for n in range(3000)
    ]
    Resident.objects.bulk_create(rows, batch_size=1000)
    pks = list(Resident.objects.order_by("pk").values_list("pk", flat=True))
    new_keys()
    edited: dict[int, str] = {}
    done = threading.Event()
    failures: list[BaseException] = []

    def edit():
        try:
            n = 0
            while not done.is_set() or n < 50:
                pk = pks[(n * 37) % len(pks)]
                resident = Resident.objects.get(pk=pk)
                resident.phone = f"136{n:08d}"
                resident.save(update_fields=["phone"])
                edited[pk] = resident.phone
                n += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    editor = threading.Thread(target=edit)
    editor.start()
    try:
        counts = rotate_all(batch=500)
    finally:
        done.set()
        editor.join()
    assert not failures
    assert counts["grids.Resident"]["rewritten"] + counts["grids.Resident"]["raced"] <= 3000
    rotate_all(batch=500)  # what a race left behind; then nothing is left on the old key
    new_keys(drop_old=True)
    assert Resident.objects.count() == 3000
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM grids_resident WHERE phone NOT LIKE 'v1:k2:%%' "
            "OR id_number NOT LIKE 'v1:k2:%%' OR phone_hash NOT LIKE 'h2:%%'"
        )
        assert cursor.fetchone()[0] == 0
    phones = dict(Resident.objects.values_list("pk", "phone"))
    assert all(phone.startswith(("135", "136")) for phone in phones.values())
    for pk, phone in edited.items():
        assert phones[pk] == phone, "a concurrent edit was overwritten"
        assert Resident.objects.filter(phone=phone, phone_last4=phone[-4:]).exists()


def _dump() -> str:
    db = django_settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    result = subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_pg_dump_shows_no_id_number_no_mobile_and_no_care_category(territory, new_resident):
    fill_defaults(Department, Category, Matter, CalendarDay)
    matter = Matter.objects.get(code="stairwell_clutter")
    ids, mobiles = [], []
    home = HouseholdFactory(grid=territory.grid)
    for n in range(12):
        resident = new_resident(household=home, id_number=make_id_number(), phone=f"1370012{n:04d}")
        ids.append(resident.id_number)
        mobiles.append(resident.phone)
        ResidentCare.objects.create(resident=resident, category=list(CareCategory)[n % 8])
    for n in range(5):
        phone = f"1390034{n:04d}"
        PartyMember.objects.create(name=f"党员{n}", phone=phone, community=territory.community)
        mobiles.append(phone)
    for n in range(3):
        phone = f"1380056{n:04d}"
        tickets.submit(
            channel=Channel.QR,
            matter=matter,
            description=f"问题{n}",
            reporter_phone=phone,
            grid=territory.grid,
        )
        mobiles.append(phone)
    assert Ticket.objects.filter(reporter_phone=mobiles[-1]).exists()

    dump = _dump()
    assert "COPY public.grids_resident" in dump and "COPY public.tickets_ticket" in dump
    assert [value for value in ids if value in dump] == []
    assert [value for value in mobiles if value in dump] == []
    care_rows = dump.split("COPY public.grids_residentcare", 1)[1].split("\\.", 1)[0]
    assert [c.value for c in CareCategory if c.value in care_rows] == []
    # The audit trail keeps the token too (mask_callable): no category named there either.
    audit = dump.split("COPY public.auditlog_logentry", 1)[1].split("\\.", 1)[0]
    assert [c.value for c in CareCategory if f'"{c.value}"' in audit] == []
    # Nor by name, in either language, in what the log keeps of residents and their care (an
    # entry's name is the row's str()); the catalogue's matters may well say 独居老人.
    with translation.override("zh-hans"):
        names = [str(c.label) for c in CareCategory]
    names += [str(c.label) for c in CareCategory]
    kinds = ContentType.objects.get_for_models(Resident, ResidentCare).values()
    kept = json.dumps(
        list(LogEntry.objects.filter(content_type__in=kinds).values("object_repr", "changes")),
        ensure_ascii=False,
    )
    assert "object_repr" in kept
    assert [name for name in names if name in kept] == []


def test_keys_from_the_environment_are_checked(monkeypatch):
    monkeypatch.setenv("FIELD_TEST_KEYS", "a:" + "QUFB" * 11)
    with pytest.raises(ImproperlyConfigured, match="FIELD_TEST_KEYS"):
        env.keys("FIELD_TEST_KEYS", "", size=32)
    monkeypatch.setenv("FIELD_TEST_KEYS", f"{NEW_KEY},{NEW_KEY}")
    with pytest.raises(ImproperlyConfigured, match="given twice"):
        env.keys("FIELD_TEST_KEYS", "", size=32)
    monkeypatch.setenv("FIELD_TEST_KEYS", f"{NEW_KEY}, {crypto.generate_key('old')}")
    assert [key_id for key_id, _key in env.keys("FIELD_TEST_KEYS", "", size=32)] == ["k2", "old"]


def test_the_commands_make_a_key_and_rotate_to_it(new_resident, settings):
    out = io.StringIO()
    call_command("generate_field_key", "2027a", stdout=out)
    entry = out.getvalue().strip()
    assert entry.startswith("2027a:") and len(base64.b64decode(entry.split(":", 1)[1])) == 32
    resident = new_resident(phone="13912345678")
    settings.FIELD_ENCRYPTION_KEYS = _parsed(entry) + list(settings.FIELD_ENCRYPTION_KEYS)
    out = io.StringIO()
    call_command("rotate_field_keys", "--batch", "2", stdout=out)
    assert "grids.Resident: 1 rewritten" in out.getvalue()
    assert _raw(Resident, resident.pk, "phone").startswith("v1:2027a:")
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "grids.Resident: 0 rewritten" in out.getvalue()
