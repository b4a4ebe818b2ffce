"""The shared cache: aiocache in memory by default, Redis when configured.

This is the only module that imports aiocache, so the backend can be swapped in one place.
A cache outage never fails a request: reads count as misses and writes are skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer

logger = logging.getLogger(__name__)

T = TypeVar("T")

NAMESPACE = "crm"
REDIS_TIMEOUT_SECONDS = 0.5


class CacheConfigError(ValueError):
    """The cache URL names a backend we do not support."""


class Cache:
    """A namespaced cache with `get_or_compute`, tolerant of backend failures."""

    def __init__(self, backend: BaseCache, url: str) -> None:
        self.backend = backend
        self.url = url
        self._local = SimpleMemoryCache(namespace=NAMESPACE)  # counters while the shared backend is down

    @classmethod
    def from_url(cls, url: str) -> Cache:
        parts = urlsplit(url)
        if parts.scheme == "memory":
            return cls(SimpleMemoryCache(namespace=NAMESPACE), url)
        if parts.scheme in ("redis", "rediss"):
            backend = RedisCache(
                endpoint=parts.hostname or "127.0.0.1",
                port=parts.port or 6379,
                db=int(parts.path.strip("/") or 0),
                password=parts.password,
                ssl=parts.scheme == "rediss",
                namespace=NAMESPACE,
                serializer=PickleSerializer(),
                timeout=REDIS_TIMEOUT_SECONDS,
                create_connection_timeout=REDIS_TIMEOUT_SECONDS,
            )
            return cls(backend, url)
        raise CacheConfigError(f"unsupported cache URL {url!r}: use memory:// or redis://host:port/db")

    @property
    def shared(self) -> bool:
        """Whether every server replica sees the same entries."""
        return not isinstance(self.backend, SimpleMemoryCache)

    async def ping(self) -> bool:
        try:
            await self.backend.exists("ping")
        except Exception:
            logger.warning("cache %s unreachable", self.url, exc_info=True)
            return False
        return True

    async def get_or_compute(self, key: str, ttl: int, compute: Callable[[], Awaitable[T]]) -> T:
        try:
            hit = await self.backend.get(key)
        except Exception:
            logger.warning("cache read failed for %s; computing", key, exc_info=True)
            hit = None
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        value = await compute()
        try:
            await self.backend.set(key, value, ttl=ttl)
        except Exception:
            logger.warning("cache write failed for %s", key, exc_info=True)
        return value

    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one event in the current fixed window of `key`; returns the count so far.

        Counts are shared by every replica through Redis; if Redis fails, this process counts alone.
        """
        window_key = f"{key}:{int(time.time()) // window_seconds}"
        try:
            return await self._count(self.backend, window_key, window_seconds)
        except Exception:
            logger.warning("cache counter failed for %s; counting in this process", key, exc_info=True)
            return await self._count(self._local, window_key, window_seconds)

    @staticmethod
    async def _count(backend: BaseCache, key: str, ttl: int) -> int:
        count = int(await backend.increment(key, 1))
        if count == 1:
            await backend.expire(key, ttl)
        return count

    async def invalidate(self, *keys: str) -> None:
        for key in keys:
            try:
                await self.backend.delete(key)
            except Exception:
                logger.warning("cache delete failed for %s", key, exc_info=True)

    async def close(self) -> None:
        try:
            await self.backend.close()
        except Exception:
            logger.warning("closing cache %s failed", self.url, exc_info=True)
