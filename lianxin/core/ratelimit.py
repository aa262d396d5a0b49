"""Fixed-window rate limits kept in Django's cache, safe with several worker processes.

A counter per (scope, key, window) lives in the cache. ``cache.add`` creates it atomically (only
one process wins the creation) and ``cache.incr`` bumps it atomically on Redis (INCR) and
memcached, so two workers counting at once never lose a hit — unlike get-then-set. Several
processes share the counters only through a shared cache: use Redis in production (the database
cache shares them but its ``incr`` is a get-then-set); the default local-memory cache limits each
process on its own.

On Redis (``lianxin.core.cache.RedisCache``) ``hit_all`` counts several limits in one round trip
(a small Lua script: INCR, and EXPIRE on the first hit of a window).

A limit can also be counted in a table of the database, in a statement that does something else too:
``window_id`` names a counter row. The public API's submission does so on PostgreSQL (the counters
ride on the intake's INSERT; see ``lianxin.opinions.services.receive_submission``).

Keys are hashed before they reach the cache or the database: phone numbers are personal data.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest

from .cache import RedisCache

# INCR each counter (KEYS[i]); on a counter's first hit set its expiry (ARGV[i]: the window plus a
# second). Answers the counts.
_HIT_ALL = """
local counts = {}
for i = 1, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i]) end
  counts[i] = count
end
return counts
"""


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    @classmethod
    def setting(cls, name: str, default: tuple[int, int]) -> Rate:
        """A rate from settings as a (limit, window seconds) pair, e.g. OPINION_RATE_IP = (5, 600)."""
        limit, window = getattr(settings, name, default)
        return cls(int(limit), int(window))


def _cache_key(scope: str, key: str, rate: Rate, now: float) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{key}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{int(now // rate.window)}"


def window_id(scope: str, key: str, rate: Rate, now: float) -> int:
    """The id of ``key``'s counter for the window of ``rate`` at ``now`` in a database table of counters:
    a signed 64-bit integer from a keyed hash (the key itself, a phone or an address, is not stored)."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{key}:{int(now // rate.window)}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hit(scope: str, key: str, rate: Rate) -> bool:
    """Count one event for ``key``; True while the count in the current window is within the limit."""
    if not key or rate.limit <= 0:
        return True
    cache_key = _cache_key(scope, key, rate, time.time())
    # add() is atomic: exactly one concurrent caller creates the counter with 1.
    if cache.add(cache_key, 1, timeout=rate.window + 1):
        return rate.limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The counter expired between add() and incr(): start the window again.
        cache.add(cache_key, 1, timeout=rate.window + 1)
        count = 1
    return count <= rate.limit


def hit_all(*limits: tuple[str, str, Rate]) -> bool:
    """Count one event for each (scope, key, rate); True while every count is within its limit.

    Unlike ``hit(a) and hit(b)`` every limit is counted, even when an earlier one is already over.
    On Redis this is one round trip; on other caches it is ``hit`` for each. Limits with an empty key
    or a limit of 0 are not counted.
    """
    active = [(scope, key, rate) for scope, key, rate in limits if key and rate.limit > 0]
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return all([hit(scope, key, rate) for scope, key, rate in active])
    if not active:
        return True
    now = time.time()
    keys = [backend.make_key(_cache_key(scope, key, rate, now)) for scope, key, rate in active]
    answer = backend.run_script(_HIT_ALL, keys, [rate.window + 1 for _scope, _key, rate in active])
    return all(int(count) <= rate.limit for count, (_scope, _key, rate) in zip(answer, active, strict=True))


def exceeded(scope: str, key: str, rate: Rate) -> bool:
    """Has ``key`` already used up the current window (without counting a new event)?"""
    if not key or rate.limit <= 0:
        return False
    return int(cache.get(_cache_key(scope, key, rate, time.time()), 0)) >= rate.limit


def client_ip(request: HttpRequest) -> str:
    """The client address: REMOTE_ADDR, or the header a trusted proxy sets (RATELIMIT_IP_HEADER).

    With a proxy, set e.g. RATELIMIT_IP_HEADER = "HTTP_X_FORWARDED_FOR"; the last address of the
    list is the one our own proxy saw, so a client cannot forge it by sending the header itself.
    """
    header = getattr(settings, "RATELIMIT_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
