"""Django's Redis cache with one client object per process and server.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call; redis-py's
constructor fills a table of several hundred response callbacks each time, which costs more CPU than
the round trip itself (about a millisecond per call, measured by bench/submit.py's profile). A
``redis.Redis`` over a connection pool is thread-safe and survives a fork (the pool reconnects in
the child), so one client per pool is kept and reused. Select it with
``"BACKEND": "lianxin.core.cache.RedisCache"``.

``RedisCache.run_script`` runs a Lua script on a connection of the calling thread's own, outside the
client: ``lianxin.core.ratelimit.hit_all`` counts several limits with one script, and redis-py's client
call around it (the script object, the command's retry wrapper, the pool's checkout with its readiness
check and its connection-count metrics) costs about twice the round trip itself.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError


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


class _ThreadConnection(threading.local):
    """The connection of one thread (and process: a forked child makes its own) for ``run_script``."""

    pid = 0
    connection: Any = None


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: Any, params: Any) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._script_connection = _ThreadConnection()

    def _own_connection(self) -> Any:
        local = self._script_connection
        if local.connection is None or local.pid != os.getpid():
            # The write server's connection settings (address, database, protocol, timeouts), a
            # connection of its own: never handed to another thread, never in the pool.
            pool: Any = self._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]
            local.connection, local.pid = pool.connection_class(**pool.connection_kwargs), os.getpid()
        return local.connection

    def run_script(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """The answer of the Lua ``script`` run with ``keys`` (already made with ``make_key``) and ``args``.

        ``EVALSHA`` first, ``EVAL`` when the server does not know the script yet (it then keeps it).
        A broken connection (Redis restarted, a timeout) is dropped and the command sent once more on a
        new one, as redis-py's client does; a second failure is raised. Both retries may run a script
        twice: callers use it for counters, where a hit counted twice is acceptable."""
        sha = _sha1(script)
        for attempt in (1, 2):
            connection = self._own_connection()
            try:
                try:
                    connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
                    return connection.read_response()
                except NoScriptError:
                    connection.send_command("EVAL", script, len(keys), *keys, *args)
                    return connection.read_response()
            except (RedisConnectionError, RedisTimeoutError):
                connection.disconnect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


@functools.cache
def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)
