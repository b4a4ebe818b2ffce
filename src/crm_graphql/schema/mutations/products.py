"""Product mutations: create (idempotent), update (optimistic), delete and restore (soft)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.writes import products as writes
from crm_graphql.schema.customers import Product
from crm_graphql.schema.mutations.payloads import UserError, attempt, given, row_id

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new product.")
class ProductCreateInput:
    sku: str = strawberry.field(description="Stock keeping unit (required, unique, at most 64 characters).")
    name: str = strawberry.field(description="Product name (required, at most 200 characters).")
    category: str = strawberry.field(description="Product category (required, at most 100 characters).")
    unit_price: Decimal = strawberry.field(
        description="List price per unit: not negative, at most 2 decimal places, below 10,000,000,000."
    )
    active: bool = strawberry.field(default=True, description="Whether the product is sold (default: true).")
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional key: the same key and input again returns the first result."
    )


@strawberry.input(description="Changes to a product: only the fields given change; null clears externalId.")
class ProductUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The product to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    sku: str | None = strawberry.field(default=UNSET, description="New SKU (unique).")
    name: str | None = strawberry.field(default=UNSET, description="New product name.")
    category: str | None = strawberry.field(default=UNSET, description="New category.")
    unit_price: Decimal | None = strawberry.field(
        default=UNSET, description="New list price; orders already placed keep their prices."
    )
    active: bool | None = strawberry.field(default=UNSET, description="False to stop selling the product.")
    external_id: str | None = strawberry.field(default=UNSET, description="New partner identifier; null clears.")


@strawberry.input(description="A product to delete (softly: it can be restored).")
class ProductDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The product to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted product to bring back.")
class ProductRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted product.")


PRODUCT = "The product as written; null when there are errors."
ERRORS = "Why nothing was written; empty on success."


@strawberry.type(description="The result of productCreate.")
class ProductCreatePayload:
    product: Product | None = strawberry.field(description=PRODUCT)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of productUpdate.")
class ProductUpdatePayload:
    product: Product | None = strawberry.field(description=PRODUCT)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of productDelete.")
class ProductDeletePayload:
    product: Product | None = strawberry.field(description=PRODUCT)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of productRestore.")
class ProductRestorePayload:
    product: Product | None = strawberry.field(description=PRODUCT)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Create a product. Partners can pass `idempotencyKey` to retry safely.")
    async def product_create(
        self,
        info: Info,
        input: Annotated[ProductCreateInput, strawberry.argument(description="The product to create.")],
    ) -> ProductCreatePayload:
        async def run() -> Any:
            data = given(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_product(info.context.viewer, data, idempotency_key=key)
            return row

        product, errors = await attempt(run())
        return ProductCreatePayload(product=product, errors=errors)

    @strawberry.mutation(description="Change a product's fields (optimistic locking with `version`).")
    async def product_update(
        self,
        info: Info,
        input: Annotated[ProductUpdateInput, strawberry.argument(description="The product and the changes.")],
    ) -> ProductUpdatePayload:
        async def run() -> Any:
            data = given(input)
            pk, version = row_id(data.pop("id"), "Product"), data.pop("version")
            return await writes.update_product(info.context.viewer, pk, version, data)

        product, errors = await attempt(run())
        return ProductUpdatePayload(product=product, errors=errors)

    @strawberry.mutation(
        description="Delete a product (soft: it disappears from lists, order lines keep it, and it can be restored)."
    )
    async def product_delete(
        self,
        info: Info,
        input: Annotated[ProductDeleteInput, strawberry.argument(description="The product to delete.")],
    ) -> ProductDeletePayload:
        async def run() -> Any:
            return await writes.delete_product(info.context.viewer, row_id(input.id, "Product"), input.version)

        product, errors = await attempt(run())
        return ProductDeletePayload(product=product, errors=errors)

    @strawberry.mutation(description="Restore a deleted product.")
    async def product_restore(
        self,
        info: Info,
        input: Annotated[ProductRestoreInput, strawberry.argument(description="The product to restore.")],
    ) -> ProductRestorePayload:
        async def run() -> Any:
            return await writes.restore_product(info.context.viewer, row_id(input.id, "Product"))

        product, errors = await attempt(run())
        return ProductRestorePayload(product=product, errors=errors)
