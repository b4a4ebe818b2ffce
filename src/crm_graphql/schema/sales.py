"""Sales orders and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.schema.common import After, Before, Connection, First, Last, ModelNode, child_connection, load_one

if TYPE_CHECKING:
    from crm_graphql.schema.access import User
    from crm_graphql.schema.customers import Customer, Product
    from crm_graphql.schema.marketing import Campaign

OrderStatus = strawberry.enum(
    models.OrderStatus,
    name="OrderStatus",
    description="Where an order is in its life: DRAFT → CONFIRMED → SHIPPED → COMPLETED, or CANCELLED before shipping.",
)


@strawberry.type(description="A sales order: what a customer bought, when, and for how much.")
class Order(ModelNode):
    model = models.Order

    status: OrderStatus = strawberry.field(description="Current workflow state.")
    ordered_at: datetime = strawberry.field(description="When the customer placed the order.")
    currency: str = strawberry.field(description="ISO 4217 currency code of all amounts on this order.")
    total: Decimal = strawberry.field(description="Sum of the line totals, computed by the server.")
    external_id: str | None = strawberry.field(description="Identifier of this order in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the order was recorded.")
    updated_at: datetime = strawberry.field(description="When the order was last changed.")

    @strawberry.field(description="The customer who placed the order.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("crm_graphql.schema.customers")]:
        return await load_one(info, models.Customer, self.customer_id)

    @strawberry.field(description="The sales rep credited with the order, if any.")
    async def rep(self, info: Info) -> Annotated[User, strawberry.lazy("crm_graphql.schema.access")] | None:
        return await load_one(info, models.User, self.rep_id)

    @strawberry.field(description="The marketing campaign the order is attributed to, if any.")
    async def campaign(self, info: Info) -> Annotated[Campaign, strawberry.lazy("crm_graphql.schema.marketing")] | None:
        return await load_one(info, models.Campaign, self.campaign_id)

    @strawberry.field(description="The products and quantities on this order.")
    async def lines(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[OrderLine]:
        return child_connection(
            info, models.OrderLine, "order_id", self.pk, first=first, after=after, last=last, before=before
        )


@strawberry.type(description="One product on an order, with the quantity and the price charged.")
class OrderLine(ModelNode):
    model = models.OrderLine

    quantity: int = strawberry.field(description="Number of units (at least 1).")
    unit_price: Decimal = strawberry.field(description="Price charged per unit on this order.")
    line_total: Decimal = strawberry.field(description="quantity × unitPrice.")

    @strawberry.field(description="The order this line belongs to.")
    async def order(self, info: Info) -> Order:
        return await load_one(info, models.Order, self.order_id)

    @strawberry.field(description="The product sold.")
    async def product(self, info: Info) -> Annotated[Product, strawberry.lazy("crm_graphql.schema.customers")]:
        return await load_one(info, models.Product, self.product_id)
