"""Public forms are rate-limited per client address and per phone; over the limit nothing is saved."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from lianxin.core import ratelimit
from lianxin.opinions.models import Category, Opinion

NOW = timezone.make_aware(datetime.datetime(2027, 3, 1, 10, 0))


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(code="urban", name="城乡建设")


def payload(category, n, phone="13900001111"):
    return {"category": category.pk, "title": f"意见{n}", "text": "内容", "name": "王小二",
            "phone": phone, "consent": "on", "key": f"rate-limit-key-{n:08d}"}


def test_too_many_submissions_from_one_address_are_refused(client, world, category, settings):
    settings.OPINION_RATE_IP = (2, 600)
    url = f"/o/new/?site={world.station_a.code}"
    for n in range(2):
        assert client.post(url, payload(category, n, phone=f"1390000{n:04d}")).status_code == 302
    refused = client.post(url, payload(category, 9, phone="13900009999"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "Too many opinions were sent from this network" in refused.content.decode()
    assert Opinion.objects.count() == 2
    # another address is not affected
    other = client.post(url, payload(category, 10, phone="13900008888"), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302 and Opinion.objects.count() == 3


def test_too_many_submissions_with_one_phone_are_refused_from_any_address(client, world, category, settings):
    settings.OPINION_RATE_PHONE = (1, 3600)
    url = f"/o/new/?site={world.station_a.code}"
    assert client.post(url, payload(category, 1), REMOTE_ADDR="10.0.0.1").status_code == 302
    refused = client.post(url, payload(category, 2), REMOTE_ADDR="10.0.0.2", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "Too many opinions were sent with this phone number" in refused.content.decode()
    assert Opinion.objects.count() == 1


def test_the_window_passes_and_the_address_may_submit_again(client, world, category, settings):
    settings.OPINION_RATE_IP = (1, 600)
    url = f"/o/new/?site={world.station_a.code}"
    with time_machine.travel(NOW, tick=False):
        client.post(url, payload(category, 1))
        assert client.post(url, payload(category, 2, phone="13900002222")).status_code == 429
    with time_machine.travel(NOW + datetime.timedelta(minutes=11), tick=False):
        assert client.post(url, payload(category, 3, phone="13900003333")).status_code == 302
    assert Opinion.objects.count() == 2


def test_counter_uses_add_then_incr_and_hashes_the_key(db):
    rate = ratelimit.Rate(limit=2, window=60)
    assert ratelimit.hit("t", "13900001111", rate) and ratelimit.hit("t", "13900001111", rate)
    assert not ratelimit.hit("t", "13900001111", rate)
    assert ratelimit.exceeded("t", "13900001111", rate)
    assert not any("13900001111" in key for key in cache._cache)  # locmem internals: keys are hashed


def test_proxy_header_is_used_only_when_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.RATELIMIT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert ratelimit.client_ip(request) == "1.2.3.4"
