"""Customers and products."""

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
    from crm_graphql.schema.marketing import CampaignMember
    from crm_graphql.schema.sales import Order, OrderLine
    from crm_graphql.schema.service import Ticket, Visit

Segment = strawberry.enum(models.Segment, name="Segment", description="The market segment a customer belongs to.")


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

    @strawberry.field(description="The sales rep who owns this customer, if any.")
    async def owner(self, info: Info) -> Annotated[User, strawberry.lazy("crm_graphql.schema.access")] | None:
        return await load_one(info, models.User, self.owner_id)

    @strawberry.field(description="This customer's sales orders, oldest first.")
    async def orders(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Order, strawberry.lazy("crm_graphql.schema.sales")]]:
        return child_connection(
            info, models.Order, "customer_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Sales rep visits to this customer, planned and done, oldest first.")
    async def visits(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Visit, strawberry.lazy("crm_graphql.schema.service")]]:
        return child_connection(
            info, models.Visit, "customer_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Customer-service tickets this customer opened, oldest first.")
    async def tickets(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Ticket, strawberry.lazy("crm_graphql.schema.service")]]:
        return child_connection(
            info, models.Ticket, "customer_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="The marketing campaigns this customer is a member of, with their response.")
    async def campaign_memberships(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[CampaignMember, strawberry.lazy("crm_graphql.schema.marketing")]]:
        return child_connection(
            info, models.CampaignMember, "customer_id", self.pk, first=first, after=after, last=last, before=before
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

    @strawberry.field(description="Order lines that sold this product, oldest first.")
    async def order_lines(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[OrderLine, strawberry.lazy("crm_graphql.schema.sales")]]:
        return child_connection(
            info, models.OrderLine, "product_id", self.pk, first=first, after=after, last=last, before=before
        )
