"""Order mutations: create (idempotent, with its lines), update and status moves (optimistic), lines replacement,
delete and restore (soft)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.forecasts import orders_changed
from crm_graphql.resolvers.writes import orders as writes
from crm_graphql.schema.enums import OrderStatus
from crm_graphql.schema.mutations.payloads import UserError, attempt, given, row_id
from crm_graphql.schema.sales import Order

UNSET: Any = strawberry.UNSET
REFERENCES = {
    "customer": ("customer_id", "Customer"),
    "rep": ("rep_id", "User"),
    "campaign": ("campaign_id", "Campaign"),
}


@strawberry.input(description="One product on an order.")
class OrderLineInput:
    product: relay.GlobalID = strawberry.field(description="ID of an active product.")
    quantity: int = strawberry.field(description="Number of units, 1 to 1,000,000.")
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Price per unit, at most 2 decimal places (default: the product's current price)."
    )


@strawberry.input(description="A new order and its lines.")
class OrderCreateInput:
    customer: relay.GlobalID = strawberry.field(description="ID of the customer placing the order.")
    lines: list[OrderLineInput] = strawberry.field(description="The products ordered: at least one.")
    rep: relay.GlobalID | None = strawberry.field(
        default=UNSET,
        description="ID of the sales rep credited (default for reps: themselves; reps credit only "
        "themselves and order only for their own customers).",
    )
    campaign: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="ID of the (not deleted) campaign the order is attributed to."
    )
    status: OrderStatus = strawberry.field(
        default=OrderStatus.DRAFT, description="DRAFT (still editable) or CONFIRMED (committed)."
    )
    ordered_at: datetime | None = strawberry.field(
        default=UNSET, description="When the customer placed the order, with a time zone offset (default: now)."
    )
    currency: str = strawberry.field(default="EUR", description="ISO 4217 code of all amounts on the order.")
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional key: the same key and input again returns the first result."
    )


@strawberry.input(
    description="Changes to an order: only the fields given change. Currency and orderedAt change only while the "
    "order is DRAFT; rep, campaign and externalId in every status."
)
class OrderUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The order to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    status: OrderStatus | None = strawberry.field(
        default=UNSET,
        description="New status: DRAFT → CONFIRMED → SHIPPED → COMPLETED, or CANCELLED before shipping.",
    )
    rep: relay.GlobalID | None = strawberry.field(default=UNSET, description="New credited sales rep; null clears.")
    campaign: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="New attributed campaign; null clears."
    )
    ordered_at: datetime | None = strawberry.field(default=UNSET, description="New order time (DRAFT orders only).")
    currency: str | None = strawberry.field(default=UNSET, description="New currency (DRAFT orders only).")
    external_id: str | None = strawberry.field(default=UNSET, description="New partner identifier; null clears.")


@strawberry.input(description="New lines for a DRAFT order; the total is recomputed.")
class OrderLinesReplaceInput:
    id: relay.GlobalID = strawberry.field(description="The DRAFT order.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    lines: list[OrderLineInput] = strawberry.field(description="All the order's lines from now on: at least one.")


@strawberry.input(description="An order to delete (softly: it can be restored); only DRAFT or CANCELLED orders.")
class OrderDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The order to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted order to bring back.")
class OrderRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted order.")


ORDER = "The order as written; null when there are errors."
ERRORS = "Why nothing was written; empty on success."


@strawberry.type(description="The result of orderCreate.")
class OrderCreatePayload:
    order: Order | None = strawberry.field(description=ORDER)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of orderUpdate.")
class OrderUpdatePayload:
    order: Order | None = strawberry.field(description=ORDER)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of orderLinesReplace.")
class OrderLinesReplacePayload:
    order: Order | None = strawberry.field(description=ORDER)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of orderDelete.")
class OrderDeletePayload:
    order: Order | None = strawberry.field(description=ORDER)
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of orderRestore.")
class OrderRestorePayload:
    order: Order | None = strawberry.field(description=ORDER)
    errors: list[UserError] = strawberry.field(description=ERRORS)


def _columns(data: Any) -> dict[str, Any]:
    """The fields given, by column name, with row ids for the references (NOT_FOUND for another type's ID)."""
    values = given(data)
    for field, (column, type_name) in REFERENCES.items():
        if field in values:
            node_id = values.pop(field)
            values[column] = node_id and row_id(node_id, type_name, field)
    if "lines" in values:
        values["lines"] = _lines(values["lines"])
    return values


def _lines(lines: Sequence[OrderLineInput]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": row_id(line.product, "Product", f"lines.{n}.product"),
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for n, line in enumerate(lines)
    ]


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Create an order with its lines; the server computes line totals and the total. "
        "Partners can pass `idempotencyKey` to retry safely."
    )
    async def order_create(
        self,
        info: Info,
        input: Annotated[OrderCreateInput, strawberry.argument(description="The order to create.")],
    ) -> OrderCreatePayload:
        async def run() -> Any:
            data = _columns(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_order(info.context.viewer, data, idempotency_key=key)
            await orders_changed(info.context.cache, row.pk)  # committed: its demand forecasts are stale
            return row

        order, errors = await attempt(run())
        return OrderCreatePayload(order=order, errors=errors)

    @strawberry.mutation(
        description="Change an order's fields or move its status (optimistic locking with `version`); "
        "a status move also sends `order.confirmed`, `order.shipped`, `order.completed` or `order.cancelled`."
    )
    async def order_update(
        self,
        info: Info,
        input: Annotated[OrderUpdateInput, strawberry.argument(description="The order and the changes.")],
    ) -> OrderUpdatePayload:
        async def run() -> Any:
            data = _columns(input)
            pk, version = row_id(data.pop("id"), "Order"), data.pop("version")
            row = await writes.update_order(info.context.viewer, pk, version, data)
            await orders_changed(info.context.cache, row.pk)  # committed: its demand forecasts are stale
            return row

        order, errors = await attempt(run())
        return OrderUpdatePayload(order=order, errors=errors)

    @strawberry.mutation(description="Replace all lines of a DRAFT order and recompute its total (bumps `version`).")
    async def order_lines_replace(
        self,
        info: Info,
        input: Annotated[OrderLinesReplaceInput, strawberry.argument(description="The order and its new lines.")],
    ) -> OrderLinesReplacePayload:
        async def run() -> Any:
            pk, lines = row_id(input.id, "Order"), _lines(input.lines)
            return await writes.replace_order_lines(info.context.viewer, pk, input.version, lines)

        order, errors = await attempt(run())
        return OrderLinesReplacePayload(order=order, errors=errors)

    @strawberry.mutation(description="Delete a DRAFT or CANCELLED order (soft: it can be restored).")
    async def order_delete(
        self,
        info: Info,
        input: Annotated[OrderDeleteInput, strawberry.argument(description="The order to delete.")],
    ) -> OrderDeletePayload:
        async def run() -> Any:
            return await writes.delete_order(info.context.viewer, row_id(input.id, "Order"), input.version)

        order, errors = await attempt(run())
        return OrderDeletePayload(order=order, errors=errors)

    @strawberry.mutation(description="Restore a deleted order.")
    async def order_restore(
        self,
        info: Info,
        input: Annotated[OrderRestoreInput, strawberry.argument(description="The order to restore.")],
    ) -> OrderRestorePayload:
        async def run() -> Any:
            return await writes.restore_order(info.context.viewer, row_id(input.id, "Order"))

        order, errors = await attempt(run())
        return OrderRestorePayload(order=order, errors=errors)
