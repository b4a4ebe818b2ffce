"""A real streaming replica (pg_basebackup of a private cluster) serves the read-only queries.

Replay on the replica is paused while writes go in: what a query returns then can only have come
from the replica, and what a mutation's payload returns only from the primary.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.db import migrate
from crm_graphql.models import Role, Segment
from crm_graphql.settings import Settings
from tests.conftest import EXECUTOR_CACHE, GraphQLClient, client_for, make_key
from tests.postgres_cluster import Cluster, private_primary
from tests.test_forecasts_graphql import gid

CUSTOMER = """
query ($id: ID!) {
  customer(id: $id) { name orders { totalCount edges { node { total } } } }
}
"""
RENAME = """
mutation ($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { name } errors { code } } }
"""
ORDER = "mutation ($input: OrderCreateInput!) { orderCreate(input: $input) { order { total } errors { code } } }"
REPORT = """
query ($from: Date!, $to: Date!) { salesReport(from: $from, to: $to, groupBy: MONTH, by: PRODUCT) { orderCount } }
"""


async def caught_up(primary: Cluster, replica: Cluster) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    source, standby = await asyncpg.connect(primary.dsn()), await asyncpg.connect(replica.dsn())
    try:
        written = await source.fetchval("SELECT pg_current_wal_lsn()")
        for _ in range(200):
            if await standby.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", written):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the replica did not catch up within 10 s")
    finally:
        await source.close()
        await standby.close()


async def test_queries_read_from_the_replica_writes_and_mutation_payloads_from_the_primary() -> None:
    with private_primary() as primary:
        await migrate(Settings(database_url=await primary.create_database("crm")))
        replica = primary.replica("replica")
        settings = Settings(database_url=primary.url("crm"), read_replica_url=replica.url("crm"), cache_url="memory://")
        EXECUTOR_CACHE.clear()  # statements cached for another database under the same connection names
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            customer = await models.Customer.create(name="Anna", segment=Segment.CONSUMER)
            price = Decimal("5.00")
            product = await models.Product.create(sku="CO-1", name="Coffee", category="Coffee", unit_price=price)
            key = await make_key(Role.ADMIN)
            today = datetime.now(UTC).date()
            window = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
            await caught_up(primary, replica)
            standby = await asyncpg.connect(replica.dsn("crm"))
            async with client_for(app, key) as http:
                gql = GraphQLClient(http)
                assert (await http.get("/readyz")).json() == {
                    "status": "ready", "database": "ok", "replica": "ok", "cache": "ok"
                }  # fmt: skip
                try:
                    await standby.execute("SELECT pg_wal_replay_pause()")
                    rename = {"input": {"id": gid("Customer", customer), "version": 1, "name": "Anna Weber"}}
                    renamed = (await gql.data(RENAME, rename))["customerUpdate"]
                    assert renamed == {"customer": {"name": "Anna Weber"}, "errors": []}  # read back from the primary
                    line = {"product": gid("Product", product), "quantity": 2}
                    order = {"customer": gid("Customer", customer), "status": "CONFIRMED", "lines": [line]}
                    created = (await gql.data(ORDER, {"input": order}))["orderCreate"]
                    assert created == {"order": {"total": "10.00"}, "errors": []}

                    variables = {"id": gid("Customer", customer)}
                    seen = (await gql.data(CUSTOMER, variables))["customer"]
                    assert seen == {"name": "Anna", "orders": {"totalCount": 0, "edges": []}}  # the paused replica
                    # Hand-written SQL reads the replica too.
                    assert (await gql.data(REPORT, window))["salesReport"] == []
                finally:
                    await standby.execute("SELECT pg_wal_replay_resume()")
                    await standby.close()
                await caught_up(primary, replica)
                seen = (await gql.data(CUSTOMER, variables))["customer"]
                orders = {"totalCount": 1, "edges": [{"node": {"total": "10.00"}}]}
                assert seen == {"name": "Anna Weber", "orders": orders}
                assert [row["orderCount"] for row in (await gql.data(REPORT, window))["salesReport"]] == [1]
