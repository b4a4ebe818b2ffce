"""Customer search: the same results everywhere, served by trigram indexes on PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
from tortoise import Tortoise

from crm_graphql import models
from crm_graphql.resolvers.filters import compile_filter
from crm_graphql.resolvers.policy import Viewer
from crm_graphql.settings import Settings


async def search_plan(url: str) -> str:
    await Tortoise.init(config=Settings(database_url=url).tortoise_config())
    try:
        admin = Viewer(user_id=1, role=models.Role.ADMIN)
        sql = models.Customer.filter(compile_filter(admin, models.Customer, {"search": "anna"})).sql(params_inline=True)
    finally:
        await Tortoise.close_connections()
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL enable_seqscan = off")
            rows = await connection.fetch(f"EXPLAIN {sql}")
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


def test_postgres_search_can_use_the_trigram_indexes(postgres_migrated: str) -> None:
    plan = asyncio.run(search_plan(postgres_migrated))
    for column in ("name", "email", "phone"):
        assert f"idx_customers_{column}_trgm" in plan, plan
