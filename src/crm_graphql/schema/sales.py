"""Sales orders and their lines: types, filters and sort orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import OrderStatus
from crm_graphql.schema.filters import (
    ALL_OF,
    ANY_OF,
    NONE_OF,
    DateTimeFilter,
    DecimalFilter,
    EntityFilter,
    IDFilter,
    IntFilter,
    NullableStringFilter,
    StringFilter,
    condition,
    enum_filter,
    order_input,
)
from crm_graphql.schema.history import history
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.access import User, UserFilter
    from crm_graphql.schema.customers import Customer, CustomerFilter, Product, ProductFilter
    from crm_graphql.schema.marketing import Campaign, CampaignFilter

CUSTOMERS = "crm_graphql.schema.customers"
ACCESS = "crm_graphql.schema.access"
MARKETING = "crm_graphql.schema.marketing"

OrderStatusFilter = enum_filter(OrderStatus)
OrderOrder = order_input(
    "Order",
    {
        "ID": "id",
        "ORDERED_AT": "ordered_at",
        "STATUS": "status",
        "CREATED_AT": "created_at",
        "UPDATED_AT": "updated_at",
    },
)
OrderLineOrder = order_input("OrderLine", {"ID": "id", "QUANTITY": "quantity", "CREATED_AT": "created_at"})


@strawberry.type(description="A sales order: what a customer bought, when, and for how much.")
class Order(ModelNode):
    model = models.Order
    history = history(models.Order)

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
        Annotated["Customer", strawberry.lazy(CUSTOMERS)],
        "The customer who placed the order.",
    )
    rep = related(
        models.User, "rep_id", Annotated["User", strawberry.lazy(ACCESS)] | None, "The sales rep credited, if any."
    )
    campaign = related(
        models.Campaign,
        "campaign_id",
        Annotated["Campaign", strawberry.lazy(MARKETING)] | None,
        "The marketing campaign the order is attributed to, if any.",
    )
    lines = connection(
        models.OrderLine,
        Annotated["OrderLine", strawberry.lazy("crm_graphql.schema.sales")],
        "The products and quantities on this order.",
        parent_column="order_id",
        filter_type=Annotated["OrderLineFilter", strawberry.lazy("crm_graphql.schema.sales")],
        order_type=OrderLineOrder,
    )


@strawberry.input(description="Conditions on orders; all the conditions given must hold.")
class OrderFilter(EntityFilter):
    node_type = "Order"

    and_: list[OrderFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[OrderFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: OrderFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The order's ID.")
    status: OrderStatusFilter | None = condition("The workflow state.")
    ordered_at: DateTimeFilter | None = condition("When the order was placed.")
    currency: StringFilter | None = condition("The ISO 4217 currency code.")
    total: DecimalFilter | None = condition("The order total.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    created_at: DateTimeFilter | None = condition("When the order was recorded.")
    customer: Annotated["CustomerFilter", strawberry.lazy(CUSTOMERS)] | None = condition(
        "The customer matches this filter, e.g. `{segment: {eq: ENTERPRISE}}`."
    )
    rep: Annotated["UserFilter", strawberry.lazy(ACCESS)] | None = condition("The credited sales rep matches.")
    campaign: Annotated["CampaignFilter", strawberry.lazy(MARKETING)] | None = condition(
        "The attributed campaign matches (orders without one never match)."
    )
    lines: OrderLineRelationFilter | None = condition("Conditions on the order's lines.")


@strawberry.input(description="Conditions on a set of orders related to a row.")
class OrderRelationFilter:
    some: OrderFilter | None = condition("At least one related order matches.")
    none: OrderFilter | None = condition("No related order matches.")


@strawberry.type(description="One product on an order, with the quantity and the price charged.")
class OrderLine(ModelNode):
    model = models.OrderLine
    history = history(models.OrderLine)
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")

    quantity: int = strawberry.field(description="Number of units (at least 1).")
    unit_price: Decimal = strawberry.field(description="Price charged per unit on this order.")
    line_total: Decimal = strawberry.field(description="quantity times unitPrice.")

    order = related(models.Order, "order_id", Order, "The order this line belongs to.")
    product = related(
        models.Product, "product_id", Annotated["Product", strawberry.lazy(CUSTOMERS)], "The product sold."
    )


@strawberry.input(description="Conditions on order lines; all the conditions given must hold.")
class OrderLineFilter(EntityFilter):
    node_type = "OrderLine"

    and_: list[OrderLineFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[OrderLineFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: OrderLineFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The line's ID.")
    quantity: IntFilter | None = condition("The number of units.")
    unit_price: DecimalFilter | None = condition("The price charged per unit.")
    line_total: DecimalFilter | None = condition("The line total.")
    order: OrderFilter | None = condition("The order matches this filter.")
    product: Annotated["ProductFilter", strawberry.lazy(CUSTOMERS)] | None = condition("The product matches.")


@strawberry.input(description="Conditions on a set of order lines related to a row.")
class OrderLineRelationFilter:
    some: OrderLineFilter | None = condition("At least one related line matches.")
    none: OrderLineFilter | None = condition("No related line matches.")
