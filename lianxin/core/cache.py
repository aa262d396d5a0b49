"""Django's Redis cache with one client object per process and server.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call; redis-py's
constructor fills a table of several hundred response callbacks each time, which costs more CPU than
the round trip itself (about a millisecond per call, measured by bench/submit.py's profile). A
``redis.Redis`` over a connection pool is thread-safe and survives a fork (the pool reconnects in
the child), so one client per pool is kept and reused. Select it with
``"BACKEND": "lianxin.core.cache.RedisCache"``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # the private helpers of Django's client are not in its type stubs
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = base._client(connection_pool=base._get_connection_pool(write))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: Any, params: Any) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
