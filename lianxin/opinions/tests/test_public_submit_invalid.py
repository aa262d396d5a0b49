"""Bad input on the citizen's form: a clear message, nothing saved."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.opinions.models import Attachment, Category, Opinion

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


def payload(category, **extra):
    data = {"category": category.pk, "title": "小区路灯不亮", "text": "3号楼前路灯坏了一个月",
            "name": "王小二", "phone": "13900001111", "consent": "on", "key": "invalid-key-000000001"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def post(client, world, data):
    response = client.post(f"/o/new/?site={world.station_a.code}", data, HTTP_ACCEPT_LANGUAGE="en")
    assert Opinion.objects.count() == 0 and Attachment.objects.count() == 0
    return response.content.decode()


def test_missing_fields_are_named(client, world, category):
    html = post(client, world, {"consent": "on", "key": "invalid-key-000000001"})
    assert response_ok(html)
    assert "Give your opinion a short title." in html
    assert "Describe your opinion or request." in html
    assert "Choose the category that fits your opinion best." in html
    assert "Please give your name." in html and "Please give a phone number we can reach you on." in html


def response_ok(html):
    return "Nothing was saved" in html


def test_consent_is_required(client, world, category):
    html = post(client, world, payload(category, consent=None))
    assert "Please agree to the privacy notice" in html


def test_bad_phone_is_refused(client, world, category):
    html = post(client, world, payload(category, phone="12345"))
    assert "Enter a valid phone number" in html


def test_inactive_category_cannot_be_chosen(client, world, category):
    category.active = False
    category.save()
    html = post(client, world, payload(category))
    assert "Select a valid choice" in html


def test_oversize_photo_is_refused_with_its_name(client, world, category, settings):
    settings.OPINION_PHOTO_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    html = post(client, world, payload(category, photos=[big]))
    assert "big.png" in html and "larger than 1 MB" in html


def test_fake_photo_is_refused_whatever_its_name_says(client, world, category):
    fake = SimpleUploadedFile("photo.jpg", b"<?php echo 'hi'; ?>", content_type="image/jpeg")
    html = post(client, world, payload(category, photos=[fake]))
    assert "is not a JPEG, PNG or WebP photo" in html


def test_more_than_three_photos_are_refused(client, world, category):
    photos = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(4)]
    html = post(client, world, payload(category, photos=photos))
    assert "at most 3 photos" in html


def test_half_a_location_is_refused(client, world, category):
    html = post(client, world, payload(category, latitude="37.8"))
    assert "Give both latitude and longitude" in html


def test_a_forged_form_key_is_refused(client, world, category):
    html = post(client, world, payload(category, key="short"))
    assert "The form has expired" in html
