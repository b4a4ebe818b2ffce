"""Migrations: an empty database migrated gives the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise import Tortoise

from crm_graphql.db import migrate, pending_migrations
from crm_graphql.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

CHECK_CONSTRAINTS = {
    "ck_campaigns_budget",
    "ck_campaigns_dates",
    "ck_orders_total",
    "ck_order_lines_quantity",
    "ck_order_lines_unit_price",
    "ck_order_lines_line_total",
    "ck_products_unit_price",
    "ck_tickets_satisfaction",
    "ck_visits_duration",
}

TABLES = {
    "users",
    "api_keys",
    "customers",
    "value_fits",
    "products",
    "orders",
    "order_lines",
    "visits",
    "tickets",
    "campaigns",
    "campaign_members",
    "audit_entries",
    "idempotency_keys",
    "outbox_events",
    "webhook_subscriptions",
    "webhook_deliveries",
}

Schema = dict[str, Any]


def sqlite_schema(path: Path) -> Schema:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = sorted(t for t in tables if not t.startswith(("sqlite_", "tortoise_migrations")))
        schema: Schema = {"columns": {}, "indexes": {}, "checks": set()}
        for table in tables:
            schema["columns"][table] = sorted(
                (name, kind.upper(), bool(notnull))
                for _, name, kind, notnull, *_ in db.execute(f'PRAGMA table_info("{table}")')
            )
            indexes = set()
            for _, index, unique, *_ in db.execute(f'PRAGMA index_list("{table}")'):
                columns = tuple(r[2] for r in db.execute(f'PRAGMA index_info("{index}")'))
                indexes.add((columns, bool(unique)))
            schema["indexes"][table] = sorted(indexes)
        for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"):
            schema["checks"] |= {name for name in CHECK_CONSTRAINTS if f'CONSTRAINT "{name}" CHECK' in sql}
    return schema


async def postgres_schema(url: str) -> Schema:
    db = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        schema: Schema = {"columns": {}, "indexes": {}, "checks": set()}
        for row in await db.fetch(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'tortoise_migrations'"
        ):
            schema["columns"].setdefault(row["table_name"], []).append(
                (row["column_name"], row["data_type"], row["is_nullable"] == "NO")
            )
        for row in await db.fetch(
            "SELECT t.relname AS table_name, i.indisunique AS is_unique, "
            "array_agg(a.attname ORDER BY k.n) AS columns "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = 'public' "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE t.relname <> 'tortoise_migrations' GROUP BY t.relname, i.indexrelid, i.indisunique"
        ):
            schema["indexes"].setdefault(row["table_name"], []).append((tuple(row["columns"]), row["is_unique"]))
        schema["checks"] = {
            row["conname"]
            for row in await db.fetch("SELECT conname FROM pg_constraint WHERE contype = 'c' AND conname LIKE 'ck\\_%'")
        }
    finally:
        await db.close()
    for part in ("columns", "indexes"):
        schema[part] = {table: sorted(set(items)) for table, items in schema[part].items()}
    return schema


async def generate_from_models(url: str) -> None:
    await Tortoise.init(config=Settings(database_url=url).tortoise_config())
    try:
        await Tortoise.generate_schemas()
    finally:
        await Tortoise.close_connections()


def assert_schema_matches_models(migrated: Schema, generated: Schema) -> None:
    assert sorted(migrated["columns"]) == sorted(generated["columns"])
    assert set(migrated["columns"]) == TABLES
    for table in generated["columns"]:
        assert migrated["columns"][table] == generated["columns"][table], table
        assert migrated["indexes"][table] == generated["indexes"][table], table
    # generate_schemas() drops Meta.constraints (tortoise#2272): the migrations must carry them.
    assert migrated["checks"] == CHECK_CONSTRAINTS


def test_models_and_migrations_are_in_step() -> None:
    config = Settings(database_url="sqlite://:memory:").tortoise_config()
    pending = asyncio.run(pending_migrations(config))
    assert [w.name for w in pending] == [], "models changed: run `crm-graphql makemigrations --name ...`"


def test_migrating_empty_sqlite_gives_the_models_schema(tmp_path: Path) -> None:
    migrated, generated = tmp_path / "migrated.sqlite3", tmp_path / "generated.sqlite3"
    asyncio.run(migrate(Settings(database_url=f"sqlite://{migrated}")))
    asyncio.run(generate_from_models(f"sqlite://{generated}"))
    assert_schema_matches_models(sqlite_schema(migrated), sqlite_schema(generated))


def test_migrating_empty_postgres_gives_the_models_schema(empty_postgres_database: Callable[[], str]) -> None:
    migrated, generated = empty_postgres_database(), empty_postgres_database()
    asyncio.run(migrate(Settings(database_url=migrated)))
    asyncio.run(generate_from_models(generated))
    assert_schema_matches_models(asyncio.run(postgres_schema(migrated)), asyncio.run(postgres_schema(generated)))


def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'twice.sqlite3'}")
    asyncio.run(migrate(settings))
    before = sqlite_schema(tmp_path / "twice.sqlite3")
    asyncio.run(migrate(settings))
    assert sqlite_schema(tmp_path / "twice.sqlite3") == before


@pytest.mark.parametrize("quantity", [0, -3])
async def test_check_constraint_refuses_bad_rows(database_url: str, quantity: int) -> None:
    from tortoise.exceptions import IntegrityError

    from tests.factories import customers_with_orders

    await Tortoise.init(config=Settings(database_url=database_url).tortoise_config())
    try:
        from crm_graphql import models

        await customers_with_orders(1, orders_each=1, lines_each=1)
        order, product = await models.Order.first(), await models.Product.first()
        with pytest.raises(IntegrityError):
            await models.OrderLine.create(order=order, product=product, quantity=quantity, unit_price=1, line_total=1)
    finally:
        await Tortoise.close_connections()


def test_non_editable_install_finds_and_applies_migrations(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
        check=True,
    )
    script = (
        "import asyncio, crm_graphql, crm_graphql.migrations as m;"
        "from crm_graphql.db import migrate; from crm_graphql.settings import Settings;"
        f"asyncio.run(migrate(Settings(database_url='sqlite://{tmp_path}/installed.sqlite3')));"
        "print(crm_graphql.__file__); print(m.__path__[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    package_file, migrations_dir = result.stdout.split()
    assert package_file.startswith(str(target))
    assert migrations_dir.startswith(str(target))
    assert sqlite_schema(tmp_path / "installed.sqlite3")["checks"] == CHECK_CONSTRAINTS
    assert (target / "crm_graphql" / "static" / "graphiql" / "graphiql.min.js").is_file()
