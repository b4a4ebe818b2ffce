"""Customers and products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import Segment
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.access import User
    from crm_graphql.schema.marketing import CampaignMember
    from crm_graphql.schema.sales import Order, OrderLine
    from crm_graphql.schema.service import Ticket, Visit


@strawberry.type(description="A person or organisation that buys from us: the centre of the CRM graph.")
class Customer(ModelNode):
    model = models.Customer

    name: str = strawberry.field(description="Display name: a person's full name or a company name.")
    email: str | None = strawberry.field(description="Contact e-mail address; unique across customers when given.")
    phone: str | None = strawberry.field(description="Contact phone number in E.164 format, e.g. +4930123456.")
    address: str | None = strawberry.field(description="Postal address on one line.")
    segment: Segment = strawberry.field(description="Market segment.")
    external_id: str | None = strawberry.field(description="Identifier of this customer in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the customer was added.")
    updated_at: datetime = strawberry.field(description="When the customer was last changed.")

    owner = related(
        models.User,
        "owner_id",
        Annotated["User", strawberry.lazy("crm_graphql.schema.access")] | None,
        "The sales rep who owns this customer, if any.",
    )
    orders = connection(
        models.Order,
        Annotated["Order", strawberry.lazy("crm_graphql.schema.sales")],
        "This customer's sales orders, oldest first.",
        parent_column="customer_id",
    )
    visits = connection(
        models.Visit,
        Annotated["Visit", strawberry.lazy("crm_graphql.schema.service")],
        "Sales rep visits to this customer, planned and done, oldest first.",
        parent_column="customer_id",
    )
    tickets = connection(
        models.Ticket,
        Annotated["Ticket", strawberry.lazy("crm_graphql.schema.service")],
        "Customer-service tickets this customer opened, oldest first.",
        parent_column="customer_id",
    )
    campaign_memberships = connection(
        models.CampaignMember,
        Annotated["CampaignMember", strawberry.lazy("crm_graphql.schema.marketing")],
        "The marketing campaigns this customer is a member of, with their response.",
        parent_column="customer_id",
    )


@strawberry.type(description="Something we sell, identified by its SKU.")
class Product(ModelNode):
    model = models.Product

    sku: str = strawberry.field(description="Stock keeping unit: the product's unique code.")
    name: str = strawberry.field(description="Product name.")
    category: str = strawberry.field(description="Product category, e.g. 'Coffee machines'.")
    unit_price: Decimal = strawberry.field(description="Current list price per unit, in the order currency.")
    active: bool = strawberry.field(description="False once the product is no longer sold.")
    external_id: str | None = strawberry.field(description="Identifier of this product in a partner system.")
    created_at: datetime = strawberry.field(description="When the product was added.")
    updated_at: datetime = strawberry.field(description="When the product was last changed.")

    order_lines = connection(
        models.OrderLine,
        Annotated["OrderLine", strawberry.lazy("crm_graphql.schema.sales")],
        "Order lines that sold this product, oldest first.",
        parent_column="product_id",
    )
