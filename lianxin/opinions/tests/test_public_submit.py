"""Submitting an opinion from a site's or a deputy's link, or from the portal."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.opinions.models import Attachment, Category, Channel, Opinion, OpinionEvent, Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")


def payload(category, **extra):
    data = {"category": category.pk, "title": "小区路灯不亮", "text": "3号楼前路灯坏了一个月",
            "name": "王小二", "phone": "139 0000 1111", "consent": "on", "key": "submit-key-0000000001"}
    data.update(extra)
    return data


def test_site_qr_link_preselects_the_site_with_its_deputies(client, world, category):
    response = client.get(f"/o/new/?site={world.station_a.code}&via=qr")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.station_a.name in html and world.deputy_a.name in html
    assert world.deputy_b.name not in html


def test_the_optional_deputy_choice_is_folded_below_the_main_fields(client, world, category):
    html = client.get(f"/o/new/?site={world.station_a.code}&via=qr").content.decode()
    folded = html.index('<details class="mb-3" id="lx-deputy-choice">')  # closed by default
    assert html.index('name="title"') < html.index('name="text"') < folded < html.index('name="deputy"')
    assert html.index('name="deputy"') < html.index('name="phone"')
    # after a choice (or an error) it stays open
    response = client.post(f"/o/new/?site={world.station_a.code}",
                           payload(category, deputy=world.deputy_a.public_code, title=""))
    assert 'id="lx-deputy-choice" open' in response.content.decode()


def test_submit_from_site_qr_stores_channel_site_and_citizen(client, world, category):
    response = client.post(f"/o/new/?site={world.station_a.code}&via=qr", payload(category))
    assert response.status_code == 302 and response["Location"] == "/o/new/thanks/"
    opinion = Opinion.objects.get()
    assert opinion.channel == Channel.SITE_QR and opinion.station == world.station_a
    assert opinion.region == world.station_a.region and opinion.status == Status.SUBMITTED
    assert opinion.citizen_phone == "13900001111" and opinion.consent_at is not None
    assert opinion.deputy is None
    assert OpinionEvent.objects.filter(opinion=opinion, action="submit", actor_kind="citizen").exists()
    thanks = client.get("/o/new/thanks/")
    assert opinion.tracking_code in thanks.content.decode()


def test_site_page_link_without_qr_is_channel_site_page(client, world, category):
    client.post(f"/o/new/?site={world.station_a.code}", payload(category))
    assert Opinion.objects.get().channel == Channel.SITE_PAGE


def test_citizen_can_address_a_deputy_of_the_site(client, world, category):
    client.post(f"/o/new/?site={world.station_a.code}", payload(category, deputy=world.deputy_a.public_code))
    assert Opinion.objects.get().deputy == world.deputy_a


def test_a_deputy_of_another_site_cannot_be_chosen(client, world, category):
    response = client.post(f"/o/new/?site={world.station_a.code}",
                           payload(category, deputy=world.deputy_b.public_code))
    assert response.status_code == 200 and Opinion.objects.count() == 0


def test_submit_from_deputy_qr_addresses_the_deputy_at_their_site(client, world, category):
    url = f"/o/new/?deputy={world.deputy_a.public_code}&via=qr"
    page = client.get(url).content.decode()
    assert world.deputy_a.name in page and world.station_a.name in page
    client.post(url, payload(category))
    opinion = Opinion.objects.get()
    assert opinion.deputy == world.deputy_a and opinion.station == world.station_a
    assert opinion.channel == Channel.DEPUTY_QR


def test_portal_walks_from_district_to_site(client, world, category):
    districts = client.get("/o/new/").content.decode()
    assert world.district_a.name in districts and world.district_b.name in districts
    sites = client.get(f"/o/new/?district={world.district_a.code}").content.decode()
    assert world.station_a.name in sites and world.station_b.name not in sites
    assert f"?site={world.station_a.code}&amp;via=portal" in sites
    client.post(f"/o/new/?site={world.station_a.code}&via=portal", payload(category))
    assert Opinion.objects.get().channel == Channel.PORTAL


def test_unknown_site_or_deputy_is_404(client, world, category):
    assert client.get("/o/new/?site=NOPE").status_code == 404
    assert client.get("/o/new/?deputy=NOPE").status_code == 404


def test_photos_and_location_are_stored(client, world, category):
    photos = [SimpleUploadedFile("my-face.png", PNG, content_type="image/png"),
              SimpleUploadedFile("b.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, content_type="image/jpeg")]
    client.post(f"/o/new/?site={world.station_a.code}",
                payload(category, photos=photos, latitude="37.8012345678", longitude="112.58"))
    opinion = Opinion.objects.get()
    assert str(opinion.latitude) == "37.801235" and str(opinion.longitude) == "112.580000"
    stored = Attachment.objects.filter(opinion=opinion).order_by("content_type")
    assert [a.content_type for a in stored] == ["image/jpeg", "image/png"]
    assert all("my-face" not in a.file.name for a in stored)


def test_contact_may_be_optional_by_configuration(client, world, category, settings):
    settings.OPINION_REQUIRE_CONTACT = False
    client.post(f"/o/new/?site={world.station_a.code}", payload(category, name="", phone=""))
    assert Opinion.objects.get().citizen_phone == ""


def test_site_and_deputy_pages_link_to_the_form(client, world):
    site = client.get(f"/s/{world.station_a.code}/?via=qr").content.decode()
    assert f"/o/new/?site={world.station_a.code}&amp;via=qr" in site
    deputy = client.get(f"/d/{world.deputy_a.public_code}/").content.decode()
    assert f"/o/new/?deputy={world.deputy_a.public_code}" in deputy
