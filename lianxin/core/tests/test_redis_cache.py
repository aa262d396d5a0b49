"""The production cache on a real Redis: one client per process, rate limits counted in one round trip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches

from lianxin.core import ratelimit
from lianxin.core.cache import RedisCache
from lianxin.core.ratelimit import Rate

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, without persistence."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, redis_url: str) -> Iterator[RedisCache]:
    settings.CACHES = {"default": {"BACKEND": "lianxin.core.cache.RedisCache", "LOCATION": redis_url}}
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    backend.clear()
    yield backend
    backend.clear()


def test_one_client_object_serves_every_call(redis_cache):
    redis_cache.set("a", 1)
    assert redis_cache.get("a") == 1 and redis_cache.incr("a") == 2 and redis_cache.add("b", "x")
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)


def test_hit_all_counts_every_limit_in_one_round_trip(redis_cache):
    per_ip, per_phone = Rate(3, 60), Rate(2, 60)
    client = redis_cache._cache.get_client(write=True)
    client.script_flush()
    connection = redis_cache._own_connection()
    calls = []
    original = connection.send_command
    connection.send_command = lambda *args, **kwargs: calls.append(args[0]) or original(*args, **kwargs)
    try:
        answers = [ratelimit.hit_all(("ip", "1.2.3.4", per_ip), ("phone", "13900001111", per_phone))
                   for _ in range(3)]
    finally:
        del connection.send_command
    assert answers == [True, True, False]  # the phone's limit (2) bites first
    # One EVALSHA per hit; the first one meets an empty script cache (NOSCRIPT) and runs as EVAL,
    # which leaves the script on the server.
    # (The connection's own handshake, HELLO and CLIENT SETINFO, goes the same way: left out.)
    assert [call for call in calls if call.startswith("EVAL")] == ["EVALSHA", "EVAL", "EVALSHA", "EVALSHA"]
    # Both limits counted even when one was over; the counters read back through the cache.
    assert ratelimit.exceeded("ip", "1.2.3.4", per_ip)
    assert ratelimit.exceeded("phone", "13900001111", per_phone)
    assert not ratelimit.exceeded("ip", "5.6.7.8", per_ip)
    # Each counter expires with its window (plus a second).
    key = redis_cache.make_key(ratelimit._cache_key("phone", "13900001111", per_phone, time.time()))
    assert 0 < client.ttl(key) <= 61


def test_hit_and_hit_all_share_the_counters(redis_cache):
    rate = Rate(2, 60)
    assert ratelimit.hit("scope", "k", rate)
    assert ratelimit.hit_all(("scope", "k", rate))
    assert not ratelimit.hit("scope", "k", rate)
    assert not ratelimit.hit_all(("scope", "k", rate))


def test_no_key_or_no_limit_is_never_counted(redis_cache):
    assert ratelimit.hit_all(("ip", "", Rate(1, 60)), ("phone", "139", Rate(0, 60)))
    assert redis_cache._cache.get_client().dbsize() == 0


def test_hit_all_on_the_local_memory_cache_is_hit_for_each(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t-ratelimit"}}
    caches["default"].clear()
    rate = Rate(1, 60)
    assert ratelimit.hit_all(("a", "x", rate), ("b", "y", rate))
    assert not ratelimit.hit_all(("a", "x", rate), ("b", "z", rate))
    assert not ratelimit.hit("b", "z", rate)  # counted although "a" was already over


def test_scripts_run_on_a_connection_of_each_thread_that_survives_a_lost_connection(redis_cache):
    """``run_script`` keeps a connection per thread outside redis-py's pool; a killed one is replaced."""
    import threading

    rate = Rate(100, 60)
    assert ratelimit.hit_all(("ip", "a", rate))
    mine = redis_cache._own_connection()
    assert redis_cache._own_connection() is mine
    theirs = []
    thread = threading.Thread(target=lambda: (ratelimit.hit_all(("ip", "a", rate)),
                                              theirs.append(redis_cache._own_connection())))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine
    # The server drops every connection but the one sending the command (Redis restarted, an idle
    # timeout): the next hit is sent again on a new connection and still counted once more.
    client = redis_cache._cache.get_client(write=True)
    assert client.client_kill_filter(_type="normal", skipme=True) >= 1
    assert ratelimit.hit_all(("ip", "a", rate))
    key = redis_cache.make_key(ratelimit._cache_key("ip", "a", rate, time.time()))
    assert int(client.get(key)) == 3
