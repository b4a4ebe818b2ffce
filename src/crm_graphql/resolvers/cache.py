"""The shared cache: aiocache in memory by default, Redis when configured.

This is the only module that imports aiocache, so the backend can be swapped in one place.
A cache outage never fails a request: reads count as misses and writes are skipped.
A cold key is computed once: concurrent callers in a process share one computation, and on Redis
the replicas take a short lock so that the others wait for its value instead of computing it too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer

from crm_graphql.metrics import CACHE_LOOKUPS

logger = logging.getLogger(__name__)

T = TypeVar("T")

NAMESPACE = "crm"
REDIS_TIMEOUT_SECONDS = 0.5
LOCK_SECONDS = 10.0  # how long other replicas wait for a computation before doing it themselves
POLL_SECONDS = 0.05


# The version of everything the API serves: bumped after every mutation and every value refresh, and
# part of the keys of cached responses (crm_graphql/responses.py).
DATA_VERSION = "data"


class CacheConfigError(ValueError):
    """The cache URL names a backend we do not support."""


class Cache:
    """A namespaced cache with `get_or_compute`, tolerant of backend failures."""

    def __init__(self, backend: BaseCache, url: str, *, lock_seconds: float = LOCK_SECONDS) -> None:
        self.backend = backend
        self.url = url
        self.lock_seconds = lock_seconds
        self._local = SimpleMemoryCache(namespace=NAMESPACE)  # counters while the shared backend is down
        self._flights: dict[str, asyncio.Future[Any]] = {}  # cold keys being computed in this process

    @classmethod
    def from_url(cls, url: str, deployment: str = "") -> Cache:
        """The cache at `url`; in Redis, its keys are kept apart from other deployments' by `deployment`."""
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
                namespace=f"{NAMESPACE}:{deployment}" if deployment else NAMESPACE,
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
        """The value under `key`, or `compute()`'s (stored for `ttl` seconds) computed once for all callers.

        If the computation raises, every caller waiting for it gets the exception and nothing is stored.
        A caller that is cancelled does not cancel the computation for the others.
        """
        if (flight := self._flights.get(key)) is None:
            hit = await self.get(key)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
            if (flight := self._flights.get(key)) is None:  # another caller may have started while we read
                flight = asyncio.ensure_future(self._fill(key, ttl, compute))
                self._flights[key] = flight
                flight.add_done_callback(lambda done: self._land(key, done))
        return await asyncio.shield(flight)  # type: ignore[no-any-return]

    def _land(self, key: str, flight: asyncio.Future[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: no "exception was never retrieved" when every caller left

    async def _fill(self, key: str, ttl: int, compute: Callable[[], Awaitable[T]]) -> T:
        token = await self._lock(key) if self.shared else None
        try:
            # Read again: a replica (or a flight here that just landed) may have stored it meanwhile.
            hit = await self.get(key)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
            value = await compute()
            await self.put(key, value, ttl)
            return value
        finally:
            if token is not None:
                await self._unlock(key, *token)

    async def put(self, key: str, value: Any, ttl: int) -> None:
        """Store `value` under `key` for `ttl` seconds; a cache that cannot be reached stores nothing."""
        try:
            await self.backend.set(key, value, ttl=ttl)
        except Exception:
            logger.warning("cache write failed for %s", key, exc_info=True)

    async def get(self, key: str) -> Any:
        """The value under `key`, or None when there is none (or the cache cannot be reached)."""
        try:
            value = await self.backend.get(key)
        except Exception:
            logger.warning("cache read failed for %s; computing", key, exc_info=True)
            CACHE_LOOKUPS.labels("error").inc()
            return None
        CACHE_LOOKUPS.labels("miss" if value is None else "hit").inc()
        return value

    async def _lock(self, key: str) -> tuple[str, float] | None:
        """Take the replicas' lock on computing `key`: (token, lease end), or None to compute without it.

        While another replica holds the lock, wait for its value (None: the caller reads it), for the lock to
        be released without a value (then try to take it), or for the lease to run out (then compute anyway).
        """
        loop, lock_key = asyncio.get_running_loop(), f"lock:{key}"
        token, deadline = f"{id(self):x}:{time.time_ns():x}", loop.time() + self.lock_seconds
        while loop.time() < deadline:
            try:
                await self.backend.add(lock_key, token, ttl=self.lock_seconds)
                return token, loop.time() + self.lock_seconds
            except ValueError:
                pass  # another replica is computing it
            except Exception:
                logger.warning("cache lock failed for %s; computing", key, exc_info=True)
                return None
            while loop.time() < deadline:
                await asyncio.sleep(POLL_SECONDS)
                try:
                    value, holder = await self.backend.multi_get([key, lock_key])
                except Exception:
                    logger.warning("cache read failed for %s; computing", key, exc_info=True)
                    return None
                if value is not None:
                    return None
                if holder is None:
                    break  # released without a value (its computation failed): try to take it
        return None

    async def _unlock(self, key: str, token: str, lease_end: float) -> None:
        # Only while our lease lasts: after it, the lock may be another replica's. (Checking the token and
        # deleting are two steps; losing that race costs one extra computation, never a wrong value.)
        if asyncio.get_running_loop().time() >= lease_end:
            return
        try:
            if await self.backend.get(f"lock:{key}") == token:
                await self.backend.delete(f"lock:{key}")
        except Exception:
            logger.warning("cache unlock failed for %s; the lock expires on its own", key, exc_info=True)

    async def version(self, name: str) -> int:
        """The data version of `name` (0 until bumped): part of the keys of values computed from that data."""
        try:
            return int(await self.backend.increment(f"version:{name}", 0))
        except Exception:
            logger.warning("cache version read failed for %s; using 0", name, exc_info=True)
            return 0

    async def bump(self, *names: str) -> None:
        """Mark the data behind `names` as changed, so values keyed by their old versions are no longer read."""

        async def one(name: str) -> None:
            try:
                await self.backend.increment(f"version:{name}", 1)
            except Exception:
                logger.warning("cache version bump failed for %s", name, exc_info=True)

        await asyncio.gather(*(one(name) for name in names))

    async def claim(self, key: str, ttl: float) -> bool:
        """True for the first caller, on any replica, to claim `key` within `ttl` seconds.

        If the cache is unreachable every caller gets True: doing a job twice beats not doing it.
        """
        try:
            await self.backend.add(f"claim:{key}", 1, ttl=ttl)
        except ValueError:
            return False
        except Exception:
            logger.warning("cache claim failed for %s; going ahead", key, exc_info=True)
        return True

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
