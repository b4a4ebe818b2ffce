"""The real server through faults: SIGTERM while a request is in flight, and Redis going away and back."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis

from crm_graphql import models
from crm_graphql.models import Role
from tests.conftest import GraphQLClient, make_key, require_service
from tests.test_forecasts_graphql import PRODUCT, build_shop, gid
from tests.test_server import free_port, serving

RENAME = (
    "mutation ($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { name } errors { code } } }"
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a row lock holds the request in flight
async def test_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_cleanly(
    app: Any, database_url: str, tmp_path: Path
) -> None:
    customer = await models.Customer.create(name="Anna", segment=models.Segment.CONSUMER)
    key = await make_key(Role.ADMIN)
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": "memory://"}
    with serving(env=env, log=tmp_path / "server.log") as server:
        dsn = database_url.replace("postgres://", "postgresql://")
        locker, watcher = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
        try:
            lock = locker.transaction()
            await lock.start()
            await locker.execute("SELECT id FROM customers WHERE id = $1 FOR UPDATE", customer.pk)
            variables = {"input": {"id": gid("Customer", customer), "version": 1, "name": "Anna Weber"}}
            headers = {"authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as http:
                in_flight = asyncio.create_task(http.post("/graphql", json={"query": RENAME, "variables": variables}))
                await until_waiting_on_lock(watcher)
                server.process.send_signal(signal.SIGTERM)
                await until_refused(server.base)
                assert not in_flight.done()
                await lock.commit()
                response = await in_flight
        finally:
            await locker.close()
            await watcher.close()
        assert response.status_code == 200
        assert response.json()["data"]["customerUpdate"] == {"customer": {"name": "Anna Weber"}, "errors": []}
        assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
    assert (await models.Customer.get(pk=customer.pk)).name == "Anna Weber"  # acknowledged, so stored


async def until_waiting_on_lock(connection: asyncpg.Connection) -> None:
    """Wait until a backend waits for a lock (outside a transaction, which would freeze pg_stat_activity)."""
    for _ in range(200):
        if await connection.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the request never reached the row lock")


async def until_refused(base: str) -> None:
    """New connections are refused once the server stops listening."""
    for _ in range(100):
        try:
            async with httpx.AsyncClient(base_url=base, timeout=1) as fresh:
                await fresh.get("/healthz")
        except httpx.ConnectError:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the server still accepts connections after SIGTERM")


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A private Redis on `port`, stopped on exit (the machine's own Redis is never touched)."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with redis.Redis(port=port, socket_connect_timeout=0.2) as client:
                        client.ping()
                    break
                except redis.ConnectionError:
                    assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
                    time.sleep(0.05)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_redis_the_api_answers_degraded_and_caches_again_when_it_returns(
    app: Any, database_url: str, tmp_path: Path
) -> None:
    require_service("redis-server (the binary)", shutil.which("redis-server") is not None)
    shop = await build_shop()
    key = await make_key(Role.ADMIN)
    port = free_port()
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": f"redis://127.0.0.1:{port}/0"}
    variables = {"id": gid("Product", shop.coffee), "horizon": 12}
    with redis_server(port) as cache, serving(env=env, log=tmp_path / "server.log") as server:
        headers = {"authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=60) as http:
            gql = GraphQLClient(http)

            async def computed_at() -> str:
                result: str = (await gql.data(PRODUCT, variables))["product"]["demandForecast"]["computedAt"]
                return result

            cached = await computed_at()
            assert await computed_at() == cached
            assert (await http.get("/readyz")).json()["status"] == "ready"

            cache.terminate()
            cache.wait(timeout=10)
            assert await computed_at() != cached  # computed again, not failed
            assert (await http.get("/readyz")).json() == {
                "status": "degraded",
                "database": "ok",
                "cache": "unreachable",
            }

            with redis_server(port):
                assert (await http.get("/readyz")).json()["status"] == "ready"
                again = await computed_at()
                assert await computed_at() == again  # cached again
