"""Sales orders and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import OrderStatus
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.access import User
    from crm_graphql.schema.customers import Customer, Product
    from crm_graphql.schema.marketing import Campaign


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

    customer = related(
        models.Customer,
        "customer_id",
        Annotated["Customer", strawberry.lazy("crm_graphql.schema.customers")],
        "The customer who placed the order.",
    )
    rep = related(
        models.User,
        "rep_id",
        Annotated["User", strawberry.lazy("crm_graphql.schema.access")] | None,
        "The sales rep credited with the order, if any.",
    )
    campaign = related(
        models.Campaign,
        "campaign_id",
        Annotated["Campaign", strawberry.lazy("crm_graphql.schema.marketing")] | None,
        "The marketing campaign the order is attributed to, if any.",
    )
    lines = connection(
        models.OrderLine,
        Annotated["OrderLine", strawberry.lazy("crm_graphql.schema.sales")],
        "The products and quantities on this order.",
        parent_column="order_id",
    )


@strawberry.type(description="One product on an order, with the quantity and the price charged.")
class OrderLine(ModelNode):
    model = models.OrderLine

    quantity: int = strawberry.field(description="Number of units (at least 1).")
    unit_price: Decimal = strawberry.field(description="Price charged per unit on this order.")
    line_total: Decimal = strawberry.field(description="quantity times unitPrice.")

    order = related(
        models.Order,
        "order_id",
        Annotated["Order", strawberry.lazy("crm_graphql.schema.sales")],
        "The order this line belongs to.",
    )
    product = related(
        models.Product,
        "product_id",
        Annotated["Product", strawberry.lazy("crm_graphql.schema.customers")],
        "The product sold.",
    )
