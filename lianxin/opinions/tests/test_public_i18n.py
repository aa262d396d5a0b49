"""The citizen's pages render in Chinese (the default) and in English."""

import pytest
from django.core.cache import cache

from lianxin.opinions import services
from lianxin.opinions.models import Category


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def case(world):
    category = Category.objects.create(code="urban", name="城乡建设", name_en="Urban construction")
    opinion, _ = services.submit_opinion(category=category, title="路灯", text="坏了", channel="portal",
                                         station=world.station_a, citizen_phone="13900001111")
    return opinion


def pages(world, case):
    return ["/o/new/", f"/o/new/?district={world.district_a.code}", f"/o/new/?site={world.station_a.code}",
            f"/o/new/?deputy={world.deputy_a.public_code}", "/o/track/", "/o/privacy/",
            f"/o/track/{case.tracking_code}/"]


@pytest.mark.parametrize("language, html_lang", [("zh-hans", 'lang="zh-CN"'), ("en", 'lang="en"')])
def test_every_page_renders_in_both_languages(client, world, case, language, html_lang):
    client.post("/o/track/", {"code": case.tracking_code, "digits": "1111"})
    client.cookies["django_language"] = language
    for url in pages(world, case):
        response = client.get(url)
        assert response.status_code == 200, url
        assert html_lang in response.content.decode(), url


def test_category_names_follow_the_language(client, world, case):
    client.cookies["django_language"] = "en"
    assert "Urban construction" in client.get(f"/o/new/?site={world.station_a.code}").content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "城乡建设" in client.get(f"/o/new/?site={world.station_a.code}").content.decode()


def test_english_strings_are_the_source(client, world, case):
    client.cookies["django_language"] = "en"
    html = client.get(f"/o/new/?site={world.station_a.code}").content.decode()
    assert "Submit an opinion" in html and "Send my opinion" in html
