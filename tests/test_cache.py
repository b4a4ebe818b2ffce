"""The shared cache: in memory, on a real Redis, and a Redis that is down."""

from __future__ import annotations

import asyncio
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


async def test_deployments_sharing_redis_keep_their_entries_and_versions_apart(redis_url: str) -> None:
    key = f"test:{uuid.uuid4()}"
    ours, same, theirs = (Cache.from_url(redis_url, deployment) for deployment in ("ours", "ours", "theirs"))
    try:
        await ours.put(key, "ours", 30)
        await ours.bump(key)
        assert (await same.get(key), await same.version(key)) == ("ours", 1)
        assert (await theirs.get(key), await theirs.version(key)) == (None, 0)
    finally:
        for cache in (ours, same, theirs):
            await cache.close()


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


class SlowComputation(Computation):
    """Takes a moment, so that concurrent callers overlap; can be told to fail."""

    def __init__(self, seconds: float = 0.2, fail: bool = False) -> None:
        super().__init__()
        self.seconds = seconds
        self.fail = fail

    async def __call__(self) -> dict[str, float]:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("fit failed")
        return {"forecast": 12.5}


async def test_concurrent_callers_of_a_cold_key_compute_once(cache: Cache) -> None:
    key, compute = f"test:{uuid.uuid4()}", SlowComputation()
    results = await asyncio.gather(*(cache.get_or_compute(key, 30, compute) for _ in range(5)))
    assert results == [{"forecast": 12.5}] * 5
    assert compute.calls == 1
    assert cache._flights == {}  # nothing left behind


async def test_a_failed_computation_fails_every_waiter_and_caches_nothing(cache: Cache) -> None:
    key, failing = f"test:{uuid.uuid4()}", SlowComputation(fail=True)
    results = await asyncio.gather(*(cache.get_or_compute(key, 30, failing) for _ in range(3)), return_exceptions=True)
    assert [str(r) for r in results] == ["fit failed"] * 3
    assert failing.calls == 1
    compute = Computation()
    assert await cache.get_or_compute(key, 30, compute) == {"forecast": 12.5}
    assert compute.calls == 1


async def test_a_cancelled_caller_does_not_cancel_the_computation_for_others(cache: Cache) -> None:
    key, compute = f"test:{uuid.uuid4()}", SlowComputation()
    first = asyncio.ensure_future(cache.get_or_compute(key, 30, compute))
    second = asyncio.ensure_future(cache.get_or_compute(key, 30, compute))
    await asyncio.sleep(0.05)
    first.cancel()
    assert await second == {"forecast": 12.5}
    assert first.cancelled()
    assert compute.calls == 1


async def test_replicas_on_redis_compute_a_cold_key_once(redis_url: str) -> None:
    key, compute = f"test:{uuid.uuid4()}", SlowComputation()
    replicas = [Cache.from_url(redis_url), Cache.from_url(redis_url)]
    try:
        calls = [replica.get_or_compute(key, 30, compute) for replica in replicas for _ in range(3)]
        assert await asyncio.gather(*calls) == [{"forecast": 12.5}] * 6
        assert compute.calls == 1
    finally:
        for replica in replicas:
            await replica.close()


async def test_a_replica_waits_no_longer_than_the_lock(redis_url: str) -> None:
    key, compute = f"test:{uuid.uuid4()}", SlowComputation(seconds=1.0)
    slow, impatient = Cache.from_url(redis_url), Cache.from_url(redis_url)
    impatient.lock_seconds = 0.2
    try:
        holder = asyncio.ensure_future(slow.get_or_compute(key, 30, compute))
        await asyncio.sleep(0.05)
        assert await impatient.get_or_compute(key, 30, compute) == {"forecast": 12.5}
        assert compute.calls == 2  # it gave up waiting and computed itself
        await holder
    finally:
        await slow.close()
        await impatient.close()


async def test_versions_count_bumps(cache: Cache) -> None:
    name = f"series:test:{uuid.uuid4()}"
    assert await cache.version(name) == 0
    await cache.bump(name, f"{name}:other")
    await cache.bump(name)
    assert [await cache.version(name), await cache.version(f"{name}:other")] == [2, 1]
    await cache.invalidate(f"version:{name}", f"version:{name}:other")  # leave nothing behind in Redis


async def test_versions_degrade_when_redis_is_down() -> None:
    cache, compute = Cache.from_url("redis://127.0.0.1:1/0"), SlowComputation(seconds=0.05)
    try:
        await cache.bump("series:total")  # logged and skipped
        assert await cache.version("series:total") == 0
        results = await asyncio.gather(*(cache.get_or_compute("k", 30, compute) for _ in range(3)))
        assert results == [{"forecast": 12.5}] * 3
        assert compute.calls == 1  # still one computation per process
    finally:
        await cache.close()
