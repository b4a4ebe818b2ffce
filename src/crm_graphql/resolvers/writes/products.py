"""Creating, changing, deleting and restoring products."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crm_graphql.models import Product
from crm_graphql.resolvers.errors import Duplicate
from crm_graphql.resolvers.policy import Action, Entity, Viewer, require
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import Problems, Required, non_negative_money, optional_length, require_length
from crm_graphql.resolvers.writes.bulk import Outcome, upsert
from crm_graphql.resolvers.writes.core import (
    create_row,
    delete_row,
    once,
    restore_row,
    taken,
    unique,
    update_row,
    writable,
)

TEXT_COLUMNS = {"sku": "sku", "name": "name", "category": "category"}  # column: GraphQL field


def product_fields(data: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """Validated column values for the fields given, checked without queries; failures go to `problems`."""
    values: dict[str, Any] = {}
    for column, field in TEXT_COLUMNS.items():
        if column in data:
            text = data[column] or ""  # null for a required column reads as empty: REQUIRED
            values[column] = problems.check(require_length, text, field=field, model=Product, column=column)
    if "unit_price" in data:
        values["unit_price"] = problems.check(_price, data["unit_price"])
    if "active" in data:
        values["active"] = problems.check(_active, data["active"])
    if "external_id" in data:
        values["external_id"] = problems.check(
            optional_length, data["external_id"], field="externalId", model=Product, column="external_id"
        )
    return values


def _price(value: Decimal | None) -> Decimal:
    if value is None:
        raise Required("Must not be null.", "unitPrice")
    return non_negative_money(value, field="unitPrice", model=Product, column="unit_price")


def _active(value: bool | None) -> bool:
    if value is None:
        raise Required("Must not be null.", "active")
    return value


async def _clean(data: Mapping[str, Any], conn: BaseDBAsyncClient, *, pk: int | None = None) -> dict[str, Any]:
    problems = Problems()
    values = product_fields(data, problems)
    for column, field in (("sku", "sku"), ("external_id", "externalId")):
        if values.get(column) and await taken(Product, column, values[column], conn, other_than=pk):
            problems.add(Duplicate(f"Another product already has this {field}.", field))
    problems.raise_if_any()
    return values


async def create_product(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None
) -> tuple[Product, bool]:
    """A new product and whether it was replayed from the idempotency key."""
    viewer = require(viewer, Entity.PRODUCTS, Action.WRITE)

    async def create(conn: BaseDBAsyncClient) -> Product:
        values = await _clean(data, conn)
        return await unique(
            create_row(viewer, Product, values, conn), "Another product already has this SKU or external ID.", "sku"
        )

    return await once(viewer, idempotency_key, "productCreate", data, create, Product)


async def update_product(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> Product:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Product, pk, conn)
        values = await _clean(data, conn, pk=pk)
        return await unique(
            update_row(viewer, row, values, version, conn),
            "Another product already has this SKU or external ID.",
            "sku",
        )


async def delete_product(viewer: Viewer | None, pk: int, version: int) -> Product:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Product, pk, conn)
        return await delete_row(viewer, row, version, conn)


async def restore_product(viewer: Viewer | None, pk: int) -> Product:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Product, pk, conn, deleted=True)
        return await restore_row(viewer, row, conn)


async def upsert_products(
    viewer: Viewer | None, items: Sequence[Mapping[str, Any]], *, all_or_nothing: bool = False
) -> list[Outcome[Product]]:
    """Products created or updated by external ID (see `bulk`); SKUs stay unique."""
    viewer = require(viewer, Entity.PRODUCTS, Action.WRITE)

    async def clean(data: Mapping[str, Any], problems: Problems, conn: BaseDBAsyncClient) -> dict[str, Any]:
        return product_fields(data, problems)

    return await upsert(viewer, Product, items, clean=clean, unique={"sku": "sku"}, all_or_nothing=all_or_nothing)
