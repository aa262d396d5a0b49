"""A double click or a retry of the citizen's form never stores a second opinion."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from lianxin.opinions.models import Category, Opinion


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设")


def payload(category, key):
    return {"category": category.pk, "title": "噪音扰民", "text": "夜间施工", "name": "王小二",
            "phone": "13900001111", "consent": "on", "key": key}


def rendered_key(html):
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


def test_each_rendered_form_carries_a_fresh_random_key(client, world, category):
    url = f"/o/new/?site={world.station_a.code}"
    first, second = rendered_key(client.get(url).content.decode()), rendered_key(client.get(url).content.decode())
    assert first != second and len(first) >= 16


def test_double_submit_stores_one_opinion_and_shows_the_same_code(client, world, category):
    url = f"/o/new/?site={world.station_a.code}"
    key = rendered_key(client.get(url).content.decode())
    first = client.post(url, payload(category, key))
    code = Opinion.objects.get().tracking_code
    # the retry comes from another connection (a new session): still the same case
    retry_client = Client()
    second = retry_client.post(url, payload(category, key))
    assert first.status_code == second.status_code == 302
    assert Opinion.objects.count() == 1
    assert code in retry_client.get("/o/new/thanks/").content.decode()
    assert code in client.get("/o/new/thanks/").content.decode()


def test_a_retry_is_not_counted_against_the_rate_limit(client, world, category, settings):
    settings.OPINION_RATE_IP = (1, 600)
    url = f"/o/new/?site={world.station_a.code}"
    client.post(url, payload(category, "idem-key-00000000001"))
    retry = client.post(url, payload(category, "idem-key-00000000001"))
    assert retry.status_code == 302 and Opinion.objects.count() == 1
