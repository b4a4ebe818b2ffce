"""Bulk sync mutations: customers and products upserted by `externalId`, at most 1,000 per call."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.errors import NotFound
from crm_graphql.resolvers.writes import bulk, products
from crm_graphql.schema.customers import Customer, Product
from crm_graphql.schema.enums import Segment
from crm_graphql.schema.mutations.payloads import ErrorCode, UserError, attempt, given, row_id, user_errors

UNSET: Any = strawberry.UNSET
KEY = "Your system's identifier of the record: the key of the sync (required, at most 100 characters)."
OPTIONAL = "Omitted: left as it is (empty for a new record); null: cleared."
ALL_OR_NOTHING = "True: write nothing if any item has errors. False (default): write the valid items."
ITEMS = f"At most {bulk.MAX_ITEMS:,} items; more is an INVALID_ARGUMENT error on `items` and writes nothing."
INDEX = "Position of the item in `items`, from 0."
EXTERNAL_ID = "The item's externalId as sent."
CREATED = "True if the item created a record."
CHANGED = "True if the item changed its record (false when the record already held these values)."
ITEM_ERRORS = "Why this item was not written (fields as `items.<index>.<field>`); empty if it was."
CALL_ERRORS = "Problems with the call as a whole (too many items, nothing written under allOrNothing); else empty."


@strawberry.input(description="A customer to sync: created if no customer has its externalId, else updated.")
class CustomerUpsertItem:
    external_id: str = strawberry.field(description=KEY)
    name: str = strawberry.field(description="Display name (required, at most 200 characters).")
    segment: Segment = strawberry.field(description="Market segment.")
    email: str | None = strawberry.field(default=UNSET, description=f"E-mail address, unique. {OPTIONAL}")
    phone: str | None = strawberry.field(default=UNSET, description=f"Phone number, stored in E.164. {OPTIONAL}")
    address: str | None = strawberry.field(default=UNSET, description=f"Postal address on one line. {OPTIONAL}")
    owner: relay.GlobalID | None = strawberry.field(
        default=UNSET, description=f"ID of the owning sales rep (reps: only themselves, their default). {OPTIONAL}"
    )


@strawberry.input(description="Customers to create or update by externalId; optimistic locking does not apply.")
class CustomersUpsertInput:
    items: list[CustomerUpsertItem] = strawberry.field(description=ITEMS)
    all_or_nothing: bool = strawberry.field(default=False, description=ALL_OR_NOTHING)


@strawberry.input(description="A product to sync: created if no product has its externalId, else updated.")
class ProductUpsertItem:
    external_id: str = strawberry.field(description=KEY)
    sku: str = strawberry.field(description="Stock keeping unit (required, unique, at most 64 characters).")
    name: str = strawberry.field(description="Product name (required, at most 200 characters).")
    category: str = strawberry.field(description="Product category (required, at most 100 characters).")
    unit_price: Decimal = strawberry.field(description="List price per unit: not negative, at most 2 decimal places.")
    active: bool | None = strawberry.field(
        default=UNSET, description="Whether the product is sold; omitted: left as it is (true for a new product)."
    )


@strawberry.input(description="Products to create or update by externalId; optimistic locking does not apply.")
class ProductsUpsertInput:
    items: list[ProductUpsertItem] = strawberry.field(description=ITEMS)
    all_or_nothing: bool = strawberry.field(default=False, description=ALL_OR_NOTHING)


@strawberry.type(description="What became of one item of customersUpsert.")
class CustomerUpsertResult:
    index: int = strawberry.field(description=INDEX)
    external_id: str | None = strawberry.field(description=EXTERNAL_ID)
    customer: Customer | None = strawberry.field(description="The customer as written or found; null if not written.")
    created: bool = strawberry.field(description=CREATED)
    changed: bool = strawberry.field(description=CHANGED)
    errors: list[UserError] = strawberry.field(description=ITEM_ERRORS)


@strawberry.type(description="What became of one item of productsUpsert.")
class ProductUpsertResult:
    index: int = strawberry.field(description=INDEX)
    external_id: str | None = strawberry.field(description=EXTERNAL_ID)
    product: Product | None = strawberry.field(description="The product as written or found; null if not written.")
    created: bool = strawberry.field(description=CREATED)
    changed: bool = strawberry.field(description=CHANGED)
    errors: list[UserError] = strawberry.field(description=ITEM_ERRORS)


@strawberry.type(description="The result of customersUpsert.")
class CustomersUpsertPayload:
    results: list[CustomerUpsertResult] = strawberry.field(description="One result per item, in the items' order.")
    errors: list[UserError] = strawberry.field(description=CALL_ERRORS)


@strawberry.type(description="The result of productsUpsert.")
class ProductsUpsertPayload:
    results: list[ProductUpsertResult] = strawberry.field(description="One result per item, in the items' order.")
    errors: list[UserError] = strawberry.field(description=CALL_ERRORS)


def _customer(item: CustomerUpsertItem) -> dict[str, Any]:
    values = given(item, {"owner": "owner_id"})
    if values.get("owner_id") is not None:
        try:
            values["owner_id"] = row_id(values["owner_id"], "User", "owner")
        except NotFound:
            values["owner_id"] = 0  # no user has id 0: NOT_FOUND on this item's owner, not on the whole call
    return values


def _item_errors(outcome: bulk.Outcome[Any]) -> list[UserError]:
    prefix = f"items.{outcome.index}"
    return [
        UserError(field=f"{prefix}.{e.field}" if e.field else prefix, code=e.code, message=e.message)
        for error in outcome.errors
        for e in user_errors(error)
    ]


async def _run(write: Any, all_or_nothing: bool) -> tuple[list[bulk.Outcome[Any]], list[UserError]]:
    """The outcomes of an upsert and the errors of the call as a whole."""
    written, errors = await attempt(write)
    outcomes: list[bulk.Outcome[Any]] = written or []
    rejected = sum(1 for outcome in outcomes if outcome.errors)
    if all_or_nothing and rejected:
        message = f"Nothing was written: {rejected} of {len(outcomes)} items have errors (allOrNothing)."
        errors.append(UserError(field="items", code=ErrorCode.INVALID, message=message))
    return outcomes, errors


@strawberry.type
class BulkMutations:
    @strawberry.mutation(
        description=f"Create or update up to {bulk.MAX_ITEMS:,} customers by externalId (for partner syncs). "
        "Each item is checked like customerCreate; the valid items are written in one transaction, and an item "
        "equal to its customer writes nothing. No `version`: the last writer wins."
    )
    async def customers_upsert(
        self,
        info: Info,
        input: Annotated[CustomersUpsertInput, strawberry.argument(description="The customers to sync.")],
    ) -> CustomersUpsertPayload:
        viewer, region = info.context.viewer, info.context.settings.phone_region
        items = [_customer(item) for item in input.items]
        write = bulk.upsert_customers(viewer, items, phone_region=region, all_or_nothing=input.all_or_nothing)
        outcomes, errors = await _run(write, input.all_or_nothing)
        results = [
            CustomerUpsertResult(
                index=o.index,
                external_id=o.external_id,
                customer=o.row,
                created=o.created,
                changed=o.changed,
                errors=_item_errors(o),
            )
            for o in outcomes
        ]
        return CustomersUpsertPayload(results=results, errors=errors)

    @strawberry.mutation(
        description=f"Create or update up to {bulk.MAX_ITEMS:,} products by externalId (for partner syncs). "
        "Each item is checked like productCreate; the valid items are written in one transaction, and an item "
        "equal to its product writes nothing. No `version`: the last writer wins."
    )
    async def products_upsert(
        self,
        info: Info,
        input: Annotated[ProductsUpsertInput, strawberry.argument(description="The products to sync.")],
    ) -> ProductsUpsertPayload:
        items = [given(item) for item in input.items]
        write = products.upsert_products(info.context.viewer, items, all_or_nothing=input.all_or_nothing)
        outcomes, errors = await _run(write, input.all_or_nothing)
        results = [
            ProductUpsertResult(
                index=o.index,
                external_id=o.external_id,
                product=o.row,
                created=o.created,
                changed=o.changed,
                errors=_item_errors(o),
            )
            for o in outcomes
        ]
        return ProductsUpsertPayload(results=results, errors=errors)
