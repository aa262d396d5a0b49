"""Fixed-window rate limits kept in Django's cache, safe with several worker processes.

A counter per (scope, key, window) lives in the cache. ``cache.add`` creates it atomically (only
one process wins the creation) and ``cache.incr`` bumps it atomically on Redis (INCR) and
memcached, so two workers counting at once never lose a hit — unlike get-then-set. Several
processes share the counters only through a shared cache: use Redis in production (the database
cache shares them but its ``incr`` is a get-then-set); the default local-memory cache limits each
process on its own.

On Redis (``lianxin.core.cache.RedisCache``) ``hit_all`` counts several limits in one round trip
(a small Lua script: INCR, and EXPIRE on the first hit of a window), which the public submission uses.
It can also *claim* a short-lived key in the same round trip when every limit passes (``SET NX``:
exactly one caller per expiry wins it), which the submission uses to queue the registration of new
intakes at most once a second instead of once per intake.

Keys are hashed before they reach the cache: phone numbers are personal data.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest

from .cache import RedisCache

# INCR each counter (KEYS[1..n]); on a counter's first hit set its expiry (ARGV[2i-1]: the window
# plus a second). If ARGV has a claim (KEYS[n+1], its expiry in ms last) and every count is within
# its limit (ARGV[2i]), SET the claim key NX. Answers the counts, then 1 if the claim was won, else 0.
_HIT_ALL = """
local n = #KEYS
local claim_ms = 0
if #ARGV % 2 == 1 then
  n = n - 1
  claim_ms = tonumber(ARGV[#ARGV])
end
local counts = {}
local within = true
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1]) end
  if count > tonumber(ARGV[2 * i]) then within = false end
  counts[i] = count
end
local won = 0
if claim_ms > 0 and within then
  if redis.call('SET', KEYS[n + 1], '1', 'NX', 'PX', claim_ms) then won = 1 end
end
counts[n + 1] = won
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
    On Redis this is one round trip; on other caches it is ``hit`` for each.
    """
    return hit_all_and_claim(limits)[0]


def hit_all_and_claim(limits: tuple[tuple[str, str, Rate], ...] | list[tuple[str, str, Rate]],
                      claim: str | None = None, claim_seconds: float = 1.0) -> tuple[bool, bool]:
    """``hit_all``, and if every limit passes, claim the cache key ``claim`` for ``claim_seconds``.

    Returns (within the limits, claim won). The claim is won by exactly one caller until it expires
    (``cache.add``; on Redis ``SET NX PX`` in the same round trip as the counters).
    """
    active = [(scope, key, rate) for scope, key, rate in limits if key and rate.limit > 0]
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        within = all([hit(scope, key, rate) for scope, key, rate in active])
        won = bool(claim) and within and cache.add(claim, 1, timeout=claim_seconds)
        return within, won
    now = time.time()
    keys = [backend.make_key(_cache_key(scope, key, rate, now)) for scope, key, rate in active]
    args: list[int] = []
    for _scope, _key, rate in active:
        args += [rate.window + 1, rate.limit]
    if claim:
        keys.append(backend.make_key(claim))
        args.append(max(1, int(claim_seconds * 1000)))
    if not keys:
        return True, False
    answer = backend.run_script(_HIT_ALL, keys, args)
    within = all(int(count) <= rate.limit for count, (_scope, _key, rate) in zip(answer, active, strict=False))
    return within, bool(claim) and int(answer[-1]) == 1


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
