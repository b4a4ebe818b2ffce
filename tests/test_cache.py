"""The shared cache: in memory, on a real Redis, and a Redis that is down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from crm_graphql.resolvers.cache import Cache, CacheConfigError


class Computation:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> dict[str, float]:
        self.calls += 1
        return {"forecast": 12.5}


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    backend = Cache.from_url(url)
    yield backend
    await backend.close()


async def test_computes_once_then_serves_from_cache(cache: Cache) -> None:
    key, compute = f"test:{uuid.uuid4()}", Computation()
    assert await cache.get_or_compute(key, 30, compute) == {"forecast": 12.5}
    assert await cache.get_or_compute(key, 30, compute) == {"forecast": 12.5}
    assert compute.calls == 1
    await cache.invalidate(key)
    await cache.get_or_compute(key, 30, compute)
    assert compute.calls == 2


async def test_redis_entries_are_shared_between_clients(redis_url: str) -> None:
    key, compute = f"test:{uuid.uuid4()}", Computation()
    first, second = Cache.from_url(redis_url), Cache.from_url(redis_url)
    try:
        await first.get_or_compute(key, 30, compute)
        assert await second.get_or_compute(key, 30, compute) == {"forecast": 12.5}
        assert compute.calls == 1
        assert first.shared and second.shared
    finally:
        await first.close()
        await second.close()


async def test_unreachable_redis_degrades_to_computing() -> None:
    cache, compute = Cache.from_url("redis://127.0.0.1:1/0"), Computation()
    try:
        assert await cache.ping() is False
        assert await cache.get_or_compute("k", 30, compute) == {"forecast": 12.5}
        assert await cache.get_or_compute("k", 30, compute) == {"forecast": 12.5}
        assert compute.calls == 2
        await cache.invalidate("k")
    finally:
        await cache.close()


def test_unknown_cache_scheme_is_refused() -> None:
    with pytest.raises(CacheConfigError, match="unsupported cache URL"):
        Cache.from_url("memcached://127.0.0.1:11211")


async def test_counters_are_shared_through_redis(redis_url: str) -> None:
    key = f"rate:{uuid.uuid4()}"
    first, second = Cache.from_url(redis_url), Cache.from_url(redis_url)
    try:
        assert [await first.hit(key, 60), await second.hit(key, 60), await first.hit(key, 60)] == [1, 2, 3]
    finally:
        await first.close()
        await second.close()


async def test_counters_fall_back_to_the_process_when_redis_is_down() -> None:
    cache = Cache.from_url("redis://127.0.0.1:1/0")
    try:
        assert [await cache.hit("rate:k", 60) for _ in range(3)] == [1, 2, 3]
    finally:
        await cache.close()
