"""Throughput of the customer bulk upsert on PostgreSQL (not a test).

    /work/venv/bin/python benchmarks/upsert.py [--customers 10000] [--batch-size 1000]

Uses CRM_DATABASE_URL when set (migrated first; the run's rows stay there, under external IDs of their
own), else creates a scratch database on the server of CRM_BENCH_SERVER (default:
postgres://127.0.0.1:5432/postgres) and drops it afterwards. Upserts N generated customers through
`upsert_customers`, the function behind customersUpsert and `crm-graphql import`, three times: a first
load (all created), the identical batches again (nothing changes) and with every tenth customer renamed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from crm_graphql.db import connected, migrate
from crm_graphql.models import Role, User
from crm_graphql.resolvers.policy import Viewer
from crm_graphql.resolvers.writes.bulk import upsert_customers
from crm_graphql.settings import Settings

SEGMENTS = ("consumer", "small_business", "enterprise", "public_sector")


@asynccontextmanager
async def database() -> AsyncIterator[str]:
    """CRM_DATABASE_URL, or a scratch database dropped on the way out."""
    if url := os.environ.get("CRM_DATABASE_URL"):
        yield url
        return
    server = os.environ.get("CRM_BENCH_SERVER", "postgres://127.0.0.1:5432/postgres")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgres://", "postgresql://", 1)
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def customers(run: str, count: int, renamed_every: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"BENCH-{run}-{n}",
            "name": f"Customer {n}" + (" (renamed)" if renamed_every and n % renamed_every == 0 else ""),
            "email": f"customer.{run}.{n}@example.com",
            "phone": f"+49 30 {1_000_000 + n}",
            "address": f"Hauptstraße {n % 200 + 1}, 10115 Berlin",
            "segment": SEGMENTS[n % len(SEGMENTS)],
        }
        for n in range(count)
    ]


async def timed(viewer: Viewer, items: list[dict[str, Any]], batch_size: int) -> tuple[float, Counter[str]]:
    verdicts: Counter[str] = Counter()
    started = time.perf_counter()
    for start in range(0, len(items), batch_size):
        outcomes = await upsert_customers(viewer, items[start : start + batch_size], phone_region="DE")
        verdicts.update(outcome.verdict for outcome in outcomes)
    return time.perf_counter() - started, verdicts


async def main(count: int, batch_size: int) -> None:
    async with database() as url:
        settings = Settings(database_url=url)
        await migrate(settings)
        async with connected(settings):
            run = uuid.uuid4().hex[:6]
            admin = await User.create(name="Benchmark", email=f"bench.{run}@example.com", role=Role.ADMIN)
            viewer = Viewer(user_id=admin.pk, role=admin.role)
            print(f"{count:,} customers in batches of {batch_size:,} on {settings.redacted_database_url}")
            for label, items in (
                ("first load", customers(run, count)),
                ("identical re-run", customers(run, count)),
                ("10% changed", customers(run, count, renamed_every=10)),
            ):
                seconds, verdicts = await timed(viewer, items, batch_size)
                summary = ", ".join(f"{n:,} {verdict}" for verdict, n in sorted(verdicts.items()))
                print(f"  {label:<17} {count / seconds:>9,.0f} rows/s  ({seconds:6.2f} s; {summary})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="how many (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=1_000, help="items per call (default: %(default)s)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.customers, arguments.batch_size))
