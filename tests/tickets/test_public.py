"""The residents' side: the QR form, its limits, the tracking page, the review, the lookup."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import PostFactory, UserFactory, jpeg
from tickets import services
from tickets.models import Channel, Event, Matter, Photo, Status, Ticket

pytestmark = pytest.mark.django_db
A = Event.Action


@pytest.fixture(autouse=True)
def _fresh_limits(settings, tmp_path, territory):
    """Rate-limit counters live in the cache; photos in a private folder of this test."""
    cache.clear()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PUBLIC_BASE_URL = ""
    yield
    cache.clear()


def _form(matter, /, **changes):
    data = {
        "matter": matter.pk,
        "description": "3幢楼道堆满纸箱，消防通道被堵",
        "address": "幸福花园3幢2单元",
        "reporter_name": "张阿姨",
        "reporter_phone": "+86 138-1234-5678",
        "website": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _file(client, matter, /, code="G1", ip="10.0.0.1", **changes):
    return client.post(
        reverse("resident_request", kwargs={"code": code}),
        _form(matter, **changes),
        REMOTE_ADDR=ip,
    )


def _stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- The form ---------------------------------------------------------------------------------


def test_the_form_offers_matters_grouped_by_category_without_micro_wishes(client, matter):
    response = client.get(reverse("resident_request", kwargs={"code": "G1"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "幸福第一网格" in body and "幸福社区" in body
    assert body.count("<optgroup") >= 5
    wish = Matter.objects.get(code="micro_wish")
    assert f'value="{wish.pk}"' not in body
    assert 'name="website"' in body and 'class="hp-field"' in body
    assert 'type="file"' in body and 'accept="image/*"' in body
    assert "<script>" not in body and " style=" not in body  # the CSP forbids inline code


def test_a_resident_files_from_the_qr_link_and_gets_a_code_and_a_link(client, matter):
    response = _file(client, matter)
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/t/{ticket.tracking_token}/?sent=1"
    assert (ticket.channel, ticket.area.code, ticket.status) == (Channel.QR, "G1", Status.SUBMITTED)
    assert ticket.reporter_phone == "13812345678"  # +86, spaces and hyphens dropped
    assert ticket.matter == matter and ticket.reporter_name == "张阿姨"
    assert len(ticket.tracking_token) >= 32  # 192 bits, URL-safe base 64
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert f"{ticket.short_code[:4]} {ticket.short_code[4:]}" in body  # big, for the phone
    assert f"http://testserver/t/{ticket.tracking_token}/" in body
    assert "bookmark it or take a screenshot" in body


def test_the_tracking_link_uses_the_public_base_url(client, matter, settings):
    settings.PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    page = client.get(_file(client, matter)["Location"])
    token = Ticket.objects.get().tracking_token
    assert f"https://grid.example.gov.cn/t/{token}/" in page.content.decode()


def test_a_position_from_the_phone_is_kept_and_half_a_position_dropped(client, matter):
    _file(client, matter, longitude="120.05", latitude="31.05")
    _file(client, matter, longitude="120.05", latitude="", reporter_phone="13912345678")
    first, second = Ticket.objects.order_by("pk")
    assert (first.longitude, first.latitude) == (120.05, 31.05)
    assert (second.longitude, second.latitude) == (None, None)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"reporter_phone": ""}, "reporter_phone"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"reporter_phone": "2381234567"}, "reporter_phone"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"matter": ""}, "matter"),
        ({"matter": "999999"}, "matter"),
        ({"longitude": "500", "latitude": "31"}, "longitude"),
    ],
)
def test_missing_or_wrong_fields_are_refused_and_nothing_is_saved(client, matter, changes, field):
    response = _file(client, matter, **changes)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Ticket.objects.exists()


def test_a_retired_matter_is_not_offered_and_not_taken(client, matter):
    matter.active = False
    matter.save()
    body = client.get(reverse("resident_request", kwargs={"code": "G1"})).content.decode()
    assert f'value="{matter.pk}"' not in body
    assert _file(client, matter).status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("code", ["NOPE", "C1", "D", "S1", "G1-M1", "%E4%B8%AD", "x" * 300])
def test_anything_but_a_grid_code_is_a_404_never_a_500(client, territory, matter, code):
    assert client.get(f"/r/{code}/").status_code == 404
    assert client.post(f"/r/{code}/", _form(matter)).status_code == 404
    assert not Ticket.objects.exists()


def test_the_honeypot_thanks_a_bot_and_stores_nothing(client, matter):
    response = _file(client, matter, website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_form_is_translated(client, territory, matter):
    response = client.get(
        reverse("resident_request", kwargs={"code": "G1"}), HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert response.headers["Content-Language"] == "zh-hans"
    assert matter.name_zh in response.content.decode()


# --- Photos ----------------------------------------------------------------------------------


def test_up_to_three_photos_are_kept_re_encoded(
    client, matter, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # their tasks (tickets/photos.py)
        response = _file(client, matter, photos=[jpeg("a.jpg"), jpeg("b.png")])
    assert response.status_code == 302
    photos = Photo.objects.filter(ticket=Ticket.objects.get())
    assert photos.count() == 2 and {p.kind for p in photos} == {Photo.Kind.REPORT}
    assert all(
        p.image.name.endswith(".jpg") and not p.image.name.endswith("/a.jpg") for p in photos
    )
    assert len(_stored_files(settings)) == 2


def test_a_fourth_photo_is_refused(client, matter, settings):
    response = _file(client, matter, photos=[jpeg(f"{i}.jpg") for i in range(4)])
    assert response.status_code == 400
    assert "At most 3 photos" in response.content.decode()
    assert not Ticket.objects.exists() and not _stored_files(settings)


def _sixty_megapixels() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, "PNG")  # a small file of 60 million pixels
    return SimpleUploadedFile("huge.png", buffer.getvalue(), content_type="image/png")


def _program() -> SimpleUploadedFile:
    data = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 4000
    return SimpleUploadedFile("holiday.jpg", data, content_type="image/jpeg")


def _twenty_megabytes() -> SimpleUploadedFile:
    data = jpeg().read() + b"\x00" * (20 * 1024 * 1024)
    return SimpleUploadedFile("big.jpg", data, content_type="image/jpeg")


@pytest.mark.parametrize(
    "bad, message",
    [
        (_program, "not a photo we can read"),
        (_sixty_megapixels, "60 megapixels"),
        (_twenty_megabytes, "20.0 MB"),
    ],
    ids=["renamed-exe", "60-megapixels", "20-MB"],
)
def test_a_bad_upload_is_refused_clearly_and_nothing_is_saved(
    client, matter, settings, bad, message
):
    # A good photo first: it must not reach the disk either.
    response = _file(client, matter, photos=[jpeg("good.jpg"), bad()])
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["photos"])
    assert message in errors and errors.count(":") >= 1  # names the file
    assert not Ticket.objects.exists() and not Photo.objects.exists()
    assert not Event.objects.exists()
    assert not _stored_files(settings)


# --- Rate limits --------------------------------------------------------------------------------


def test_one_address_may_post_only_so_often_then_gets_the_polite_429(client, matter, settings):
    settings.PUBLIC_FORM_RATE_IP = "2/h"
    assert _file(client, matter, reporter_phone="13800000001").status_code == 302
    assert _file(client, matter, reporter_phone="13800000002").status_code == 302
    response = _file(client, matter, reporter_phone="13800000003")
    assert response.status_code == 429
    assert "Please wait a little" in response.content.decode()
    assert "Nothing was sent" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert Ticket.objects.count() == 2
    # Another address is not affected; reading the form never counts.
    assert _file(client, matter, ip="10.0.0.2", reporter_phone="13800000003").status_code == 302
    for _ in range(5):
        assert client.get(reverse("resident_request", kwargs={"code": "G1"})).status_code == 200


def test_failed_attempts_count_against_the_address_too(client, matter, settings):
    settings.PUBLIC_FORM_RATE_IP = "2/h"
    assert _file(client, matter, reporter_phone="bad").status_code == 400
    assert _file(client, matter, reporter_phone="bad").status_code == 400
    assert _file(client, matter).status_code == 429
    assert not Ticket.objects.exists()


def test_one_mobile_number_may_file_only_so_often(client, matter, settings):
    settings.PUBLIC_FORM_RATE_PHONE = "2/d"
    assert _file(client, matter, ip="10.0.0.1", reporter_phone="13812345678").status_code == 302
    # The same number written differently, from another address: still the same number.
    assert _file(client, matter, ip="10.0.0.2", reporter_phone="138 1234 5678").status_code == 302
    response = _file(client, matter, ip="10.0.0.3", reporter_phone="+8613812345678")
    assert response.status_code == 429
    assert Ticket.objects.count() == 2
    assert _file(client, matter, ip="10.0.0.3", reporter_phone="13912345678").status_code == 302


def test_a_refused_request_does_not_use_up_the_mobile_numbers_allowance(client, matter, settings):
    settings.PUBLIC_FORM_RATE_PHONE = "1/d"
    assert _file(client, matter, photos=[_program()]).status_code == 400
    assert _file(client, matter).status_code == 302
    assert _file(client, matter).status_code == 429


def test_the_429_page_is_translated(client, matter, settings):
    settings.PUBLIC_FORM_RATE_IP = "1/h"
    _file(client, matter)
    response = client.post(
        reverse("resident_request", kwargs={"code": "G1"}),
        _form(matter),
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "zh-hans"


def test_the_ratelimit_view_setting_names_the_429_page(rf, settings):
    from django.utils.module_loading import import_string
    from django_ratelimit.exceptions import Ratelimited

    view = import_string(settings.RATELIMIT_VIEW)
    assert view(rf.get("/"), Ratelimited()).status_code == 429


# --- The tracking page --------------------------------------------------------------------------


@pytest.fixture
def staffed_ticket(ticket, territory):
    """A request that went through staff hands, with names, phones and notes on the way."""
    secretary = UserFactory(username="secretary_c1", display_name="陈书记", phone="13900001111")
    PostFactory(user=secretary, area=territory.community, role="community_staff")
    worker = UserFactory(username="worker_g1", display_name="刘党员", phone="13900002222")
    PostFactory(user=worker, area=territory.grid, role="part_time_worker")
    ticket = services.accept(by=secretary, ticket=ticket, note="内部：先电话联系楼长")
    ticket = services.assign(by=secretary, ticket=ticket, assignee=worker)
    ticket = services.return_to_dispatch(by=worker, ticket=ticket, reason="私下说明：我不在")
    ticket = services.assign(by=secretary, ticket=ticket, assignee=worker, note="请刘党员今天处理")
    ticket = services.start(by=worker, ticket=ticket)
    ticket = services.resolve(
        by=worker, ticket=ticket, result="刘党员已清理 电话13900002222", photos=[jpeg()]
    )
    return ticket


def _track(client, ticket, **extra):
    return client.get(reverse("ticket_track", kwargs={"token": ticket.tracking_token}), **extra)


def test_the_tracking_page_shows_the_public_timeline_without_people_or_notes(
    client, staffed_ticket
):
    response = _track(client, staffed_ticket)
    body = response.content.decode()
    assert response.status_code == 200
    for secret in [
        "陈书记",
        "刘党员",
        "secretary_c1",
        "worker_g1",
        "13900001111",
        "13900002222",
        "139****",
        "内部",
        "私下说明",
        "请刘党员",
        "已清理",
        "13812345678",
        "138****5678",
        "张阿姨",
        "幸福花园3幢2单元",
    ]:
        assert secret not in body, secret
    timeline = response.context["timeline"]
    public = Event.objects.filter(ticket=staffed_ticket, public=True).count()
    assert len(timeline) == public < staffed_ticket.events.count()  # the return is internal
    words = [str(w) for w, _at in timeline]
    assert words[:3] == ["Request sent", "Accepted by the community", "Given to someone to handle"]
    assert "Back with the community to find someone else" not in words
    assert "Marked as done" in words
    assert "楼道堆满纸箱" in body  # the resident's own words
    assert "Done: please tell us how it went" in body


def test_the_tracking_page_is_private_to_the_link(client, ticket):
    response = _track(client, ticket)
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "same-origin"  # the link never leaves the site


@pytest.mark.parametrize("token", ["nope", "A" * 32, "x" * 300])
def test_an_unknown_token_is_a_404(client, ticket, token):
    assert client.get(f"/t/{token}/").status_code == 404


def test_deadlines_are_said_in_words(client, ticket, dispatcher):
    body = _track(client, ticket).content.decode()
    assert "The community will answer by" in body
    assert re.search(r"\(in (about \d+ hours?|\d+ days?|\d+ minutes)\)", body)
    services.accept(by=dispatcher, ticket=ticket)
    body = _track(client, ticket).content.decode()
    assert "It should be done by" in body


def test_a_rejected_request_shows_the_reason(client, ticket, dispatcher):
    services.reject(by=dispatcher, ticket=ticket, reason="属于物业服务范围，请联系物业")
    body = _track(client, ticket).content.decode()
    assert "Not taken up" in body and "属于物业服务范围，请联系物业" in body


def test_a_merged_request_shows_the_masters_status_not_its_link(
    client, ticket, dispatcher, matter, territory
):
    master = services.submit(
        channel=Channel.QR,
        matter=matter,
        description="同一处楼道堆物",
        reporter_phone="13700000000",
        grid=territory.grid,
    )
    services.accept(by=dispatcher, ticket=master)
    services.merge(by=dispatcher, ticket=ticket, into=master)
    body = _track(client, ticket).content.decode()
    assert "Handled together with another request" in body
    assert "Accepted: waiting for someone to take it on" in body  # the master's state
    assert master.tracking_token not in body
    assert "13700000000" not in body and "同一处楼道堆物" not in body
    master_body = _track(client, master).content.decode()
    assert "Updated" in master_body and ticket.short_code not in master_body


def test_photos_are_served_to_the_holder_of_the_link_only(
    client, staffed_ticket, ticket_with_photo
):
    photos = list(staffed_ticket.photos.order_by("pk"))
    assert [p.kind for p in photos] == [Photo.Kind.RESULT]
    body = _track(client, staffed_ticket).content.decode()
    url = reverse(
        "track_photo", kwargs={"token": staffed_ticket.tracking_token, "pk": photos[0].pk}
    )
    assert url in body
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    other = ticket_with_photo.photos.get()
    wrong = reverse("track_photo", kwargs={"token": staffed_ticket.tracking_token, "pk": other.pk})
    assert client.get(wrong).status_code == 404


# --- The review -------------------------------------------------------------------------------


def _rate(client, ticket, **data):
    return client.post(reverse("ticket_track", kwargs={"token": ticket.tracking_token}), data)


def test_the_resident_rates_a_resolved_request_from_the_link(client, staffed_ticket):
    body = _track(client, staffed_ticket).content.decode()
    assert body.count('name="rating"') == 5 and 'class="btn-check"' in body
    response = _rate(client, staffed_ticket, rating="5", comment="很及时，谢谢")
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=staffed_ticket.pk)
    assert (ticket.status, ticket.rating, ticket.rating_comment) == (
        Status.CLOSED,
        5,
        "很及时，谢谢",
    )
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Thank you for your review" in body and "You gave it 5 stars" in body
    assert 'name="rating"' not in body
    # Rating again changes nothing.
    _rate(client, ticket, rating="1")
    assert Ticket.objects.get(pk=ticket.pk).rating == 5


def test_a_low_rating_reopens_the_request(client, staffed_ticket):
    response = _rate(client, staffed_ticket, rating="2", comment="还没清理干净")
    ticket = Ticket.objects.get(pk=staffed_ticket.pk)
    assert ticket.status == Status.ACCEPTED and ticket.reopen_count == 1
    assert "reopened" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("rating", ["", "0", "6", "five"])
def test_a_rating_outside_one_to_five_is_refused(client, staffed_ticket, rating):
    response = _rate(client, staffed_ticket, rating=rating)
    assert response.status_code == 400
    assert Ticket.objects.get(pk=staffed_ticket.pk).status == Status.RESOLVED


def test_no_rating_form_before_the_request_is_resolved(client, ticket):
    assert 'name="rating"' not in _track(client, ticket).content.decode()
    response = _rate(client, ticket, rating="5")
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SUBMITTED


# --- The lookup ---------------------------------------------------------------------------------


def _lookup(client, code, phone, ip="10.0.0.9"):
    return client.post(reverse("track_lookup"), {"code": code, "phone": phone}, REMOTE_ADDR=ip)


def test_the_right_code_and_mobile_number_lead_to_the_tracking_page(client, ticket):
    spaced = f" {ticket.short_code[:4].lower()} {ticket.short_code[4:]} "
    response = _lookup(client, spaced, "+86 138 1234 5678")
    assert response.status_code == 302
    assert response["Location"] == f"/t/{ticket.tracking_token}/"


def test_a_wrong_pair_gets_the_same_generic_message(client, ticket):
    wrong_phone = _lookup(client, ticket.short_code, "13900000000")
    wrong_code = _lookup(client, "ZZZZZZZZ", ticket.reporter_phone)
    for response in (wrong_phone, wrong_code):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "We found no request with this code and mobile number. Check both and try again."
        ]
        assert ticket.tracking_token not in response.content.decode()


def test_the_lookup_is_rate_limited(client, ticket, settings):
    settings.PUBLIC_FORM_RATE_IP = "3/h"
    for _ in range(3):
        assert _lookup(client, "ZZZZZZZZ", "13900000000").status_code == 400
    assert _lookup(client, ticket.short_code, ticket.reporter_phone).status_code == 429
    assert (
        _lookup(client, ticket.short_code, ticket.reporter_phone, ip="10.0.0.8").status_code == 302
    )


def test_a_ticket_without_a_mobile_number_cannot_be_looked_up(
    client, territory, matter, own_worker
):
    field = services.submit(
        channel=Channel.FIELD,
        matter=matter,
        description="巡查发现",
        grid=territory.grid,
        by=own_worker,
    )
    assert _lookup(client, field.short_code, "").status_code == 400


def test_public_pages_run_few_queries(client, staffed_ticket, django_assert_max_num_queries):
    urls = [
        reverse("resident_request", kwargs={"code": "G1"}),
        reverse("ticket_track", kwargs={"token": staffed_ticket.tracking_token}),
        reverse("track_lookup"),
    ]
    for url in urls:
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


def test_no_public_page_shows_a_mobile_number(client, staffed_ticket):
    for url in [
        reverse("resident_request", kwargs={"code": "G1"}),
        reverse("ticket_track", kwargs={"token": staffed_ticket.tracking_token}),
    ]:
        body = client.get(url).content.decode().replace(" ", "")
        assert not re.search(r"1[3-9]\d{9}", body), url


def test_a_resident_point_outside_the_district_is_refused_and_not_stored(client, matter):
    response = _file(client, matter, longitude="0", latitude="0")
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert _file(client, matter, longitude="120.02", latitude="31.05").status_code == 302
    assert (Ticket.objects.get().longitude, Ticket.objects.get().latitude) == (120.02, 31.05)


def test_the_tracking_page_says_a_deadline_as_people_say_it(client, ticket):
    from django.utils import timezone

    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.SUBMITTED, response_due=timezone.now() + timedelta(hours=1, minutes=59)
    )
    body = _track(client, ticket, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "(in about 2 hours)" in body
    assert "1 hour" not in body and "minutes" not in body
