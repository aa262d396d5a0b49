"""Similar open opinions of the same area while typing a title, and the "me too" button."""

import pytest
from django.core.cache import cache

from lianxin.opinions import services
from lianxin.opinions.models import Category, Opinion, Supporter
from lianxin.opinions.public_services import similar_opinions, title_keywords


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def cases(world):
    category = Category.objects.create(code="urban", name="城乡建设")

    def make(title, station, text="详情"):
        return services.submit_opinion(category=category, title=title, text=text, channel="portal",
                                       station=station)[0]

    lamp = make("坞城社区路灯不亮", world.station_a)
    make("小区停车难", world.station_a)
    make("柳巷路灯不亮", world.station_b)  # another district
    closed = make("路灯不亮很久了", world.station_a)
    services.accept(closed, world.users["district_admin"])
    services.answer(closed, world.users["district_admin"], reply="已修")
    services.rate(closed, satisfaction="satisfied", resolved=True)
    return {"lamp": lamp, "category": category}


def test_title_is_cut_into_search_words():
    assert title_keywords("路灯不亮 lamp") == ["路灯", "灯不", "不亮", "lamp"]


def test_similar_open_opinions_of_the_same_area_only(world, cases):
    found = similar_opinions("小区路灯不亮", world.station_a.region_path)
    assert [o.pk for o in found] == [cases["lamp"].pk]


def test_htmx_fragment_lists_similar_with_a_me_too_button(client, world, cases):
    response = client.get(f"/o/new/similar/?site={world.station_a.code}&title=路灯不亮", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "坞城社区路灯不亮" in html and "柳巷" not in html and 'name="metoo"' in html
    assert cases["lamp"].tracking_code not in html  # others' codes are never shown


def test_me_too_counts_once_per_phone(client, world, cases):
    html = client.get(f"/o/new/similar/?site={world.station_a.code}&title=路灯不亮").content.decode()
    token = html.split('name="metoo" value="')[1].split('"')[0]
    first = client.post("/o/metoo/", {"metoo": token, "phone": "13900001111"}, HTTP_HX_REQUEST="true",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert "your support was added" in first.content.decode()
    again = client.post(f"/o/metoo/?site={world.station_a.code}", {"metoo": token, "phone": "139 0000 1111"},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302 and again["Location"] == f"/o/new/?site={world.station_a.code}"
    assert Opinion.objects.get(pk=cases["lamp"].pk).supporters == 1
    assert Supporter.objects.count() == 1


def test_me_too_needs_a_valid_phone_and_a_genuine_token(client, world, cases):
    no_phone = client.post("/o/metoo/", {"metoo": "x"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter your phone number first" in no_phone.content.decode()
    forged = client.post("/o/metoo/", {"metoo": str(cases["lamp"].pk), "phone": "13900001111"},
                         HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert "expired" in forged.content.decode()
    assert Supporter.objects.count() == 0


def test_without_javascript_the_form_can_check_for_similar(client, world, cases):
    response = client.post(f"/o/new/?site={world.station_a.code}",
                           {"title": "路灯不亮", "check_similar": "1", "key": "similar-key-0000000001"})
    html = response.content.decode()
    assert "坞城社区路灯不亮" in html and "Nothing was saved" not in html
    assert Opinion.objects.count() == 4
