"""Small per-process caches of key lookups (a category's code, a site's code) on hot public paths.

A public submission names its site and category by code; looking them up costs a query each, more
than the rest of the request. ``KeyCache`` keeps each answer (including "no such key") for ``ttl``
seconds; saving or deleting a row of the model empties it in this process at once (connect
``clear`` to the model's signals), and other processes see the change within ``ttl`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_ALL: list[KeyCache[Any]] = []


class KeyCache(Generic[V]):
    def __init__(self, load: Callable[[str], V | None], ttl: float = 60.0, max_size: int = 50_000) -> None:
        self.load, self.ttl, self.max_size = load, ttl, max_size
        self.entries: dict[str, tuple[float, V | None]] = {}
        _ALL.append(self)

    def get(self, key: str, load: Callable[[str], V | None] | None = None) -> V | None:
        """The value of ``key``, loaded (by ``load`` if given, else the cache's loader) when missing or stale."""
        now = time.monotonic()
        found = self.entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        value = (load or self.load)(key)
        if len(self.entries) >= self.max_size:
            self.entries.clear()
        self.entries[key] = (now, value)
        return value

    def clear(self, **_signal: Any) -> None:
        self.entries.clear()


def clear_all() -> None:
    """Empty every key cache of this process (tests roll rows back without signals)."""
    for cache in _ALL:
        cache.clear()
