"""PostgreSQL restarted under load: requests fail fast and clearly, the server recovers by itself, and
every write it acknowledged is stored.

The database is a private cluster (tests/postgres_cluster.py); the server a real process under load.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.postgres_cluster import Cluster, private_primary
from tests.test_cli import admin_key
from tests.test_server import serving

TIMEOUT = 3  # CRM_DATABASE_TIMEOUT for the server under test
RECOVERY = 5  # seconds after PostgreSQL is back by which requests succeed again
CREATE = """
mutation ($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id name } errors { code } } }
"""
READ = "{ customers(first: 5) { totalCount edges { node { name } } } }"


@dataclass
class Outcome:
    started: float
    seconds: float
    status: int
    codes: list[str]
    written: str | None = None


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def worker(self, http: httpx.AsyncClient, name: str) -> None:
        for n in range(10**6):
            if self.stop.is_set():
                return
            wanted = f"{name}-{n}"
            body = (
                {"query": CREATE, "variables": {"input": {"name": wanted, "segment": "CONSUMER"}}}
                if n % 2
                else {"query": READ}
            )
            started = time.monotonic()
            response = await http.post("/graphql", json=body)
            try:
                payload = response.json()
            except ValueError:
                payload = {"errors": [{"extensions": {"code": response.text[:40]}}]}
            codes = [e.get("extensions", {}).get("code", "") for e in payload.get("errors") or []]
            created = (payload.get("data") or {}).get("customerCreate") or {}
            written = wanted if created.get("customer") and not created.get("errors") else None
            self.outcomes.append(Outcome(started, time.monotonic() - started, response.status_code, codes, written))
            await asyncio.sleep(0.01)


async def test_a_postgres_restart_under_load_fails_fast_recovers_and_loses_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    with private_primary() as primary:
        url = await primary.create_database("crm")
        key = admin_key(url)
        env = {
            "CRM_DATABASE_URL": url,
            "CRM_CACHE_URL": "memory://",
            "CRM_DATABASE_TIMEOUT": str(TIMEOUT),
            "CRM_RATE_LIMIT_PER_MINUTE": "0",
        }
        with serving(env=env, log=tmp_path / "server.log") as server:
            load = Load()
            headers = {"authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as http:
                workers = [asyncio.create_task(load.worker(http, f"w{i}")) for i in range(8)]
                await asyncio.sleep(1)
                down = time.monotonic()
                await asyncio.to_thread(primary.stop, "fast")
                stopped = time.monotonic()
                await asyncio.sleep(2)
                during = await http.get("/readyz")
                starting = time.monotonic()
                await asyncio.to_thread(primary.start)
                up = time.monotonic()
                await asyncio.sleep(RECOVERY + 2)
                load.stop.set()
                await asyncio.gather(*workers)
                after = await http.get("/readyz")
            assert server.process.poll() is None  # recovered without a restart
        stored = await names(primary)

    outcomes = load.outcomes
    assert {(o.status, tuple(o.codes)) for o in outcomes} == {(200, ()), (503, ("DATABASE_UNAVAILABLE",))}
    assert max(o.seconds for o in outcomes) < TIMEOUT + 1  # nothing waited past the configured timeout
    outage = [o for o in outcomes if stopped < o.started and o.started + o.seconds < starting]
    assert outage and all(o.status == 503 for o in outage)  # the outage, seen
    recovered = min(o.started for o in outcomes if o.started > up and o.status == 200)
    assert recovered - up < RECOVERY
    assert all(o.status == 200 for o in outcomes if o.started > recovered)  # and back for good
    assert (during.status_code, during.json()["status"]) == (503, "unavailable")
    assert (after.status_code, after.json()["status"]) == (200, "ready")
    acknowledged = {o.written for o in outcomes if o.written}
    assert len(acknowledged) > 20 and acknowledged <= stored  # every acknowledged write was kept
    # Nothing was unexpected to us. (asyncio may still log asyncpg's own "Task exception was never
    # retrieved" for a pooled connection whose release met the shutdown, after graphql-core cancelled
    # the field that held it: asyncpg shields the release and leaves its exception unread.)
    log = server.output()
    assert "unexpected error" not in log and "Exception in ASGI application" not in log, log[-5000:]
    print(
        f"\n{len(outcomes)} requests; outage {up - down:.1f} s; back {recovered - up:.2f} s after the restart; "
        f"slowest {max(o.seconds for o in outcomes) * 1000:.0f} ms; {len(acknowledged)} acknowledged writes, all kept"
    )


async def names(cluster: Cluster) -> set[str]:
    connection = await asyncpg.connect(cluster.dsn("crm"))
    try:
        return {row["name"] for row in await connection.fetch("SELECT name FROM customers")}
    finally:
        await connection.close()
