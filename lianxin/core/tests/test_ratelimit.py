"""Rate-limit keys: counters named without the address or phone they count."""

from __future__ import annotations

from lianxin.core import ratelimit
from lianxin.core.ratelimit import Rate


def test_a_window_id_is_a_signed_64_bit_keyed_hash_of_scope_key_and_window(settings):
    rate = Rate(5, 600)
    first = ratelimit.window_id("phone", "13900001111", rate, 1_800_000_000.0)
    assert -(2**63) <= first < 2**63
    assert first == ratelimit.window_id("phone", "13900001111", rate, 1_800_000_599.0)  # the same window
    others = {
        ratelimit.window_id("phone", "13900001111", rate, 1_800_000_600.0),  # the next window
        ratelimit.window_id("ip", "13900001111", rate, 1_800_000_000.0),  # another scope
        ratelimit.window_id("phone", "13900002222", rate, 1_800_000_000.0),  # another phone
        ratelimit.window_id("phone", "13900001111", Rate(5, 3600), 1_800_000_000.0 + 3600),
    }
    assert first not in others and len(others) == 4
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert ratelimit.window_id("phone", "13900001111", rate, 1_800_000_000.0) != first  # keyed
    assert "13900001111" not in ratelimit._cache_key("phone", "13900001111", rate, 1_800_000_000.0)
