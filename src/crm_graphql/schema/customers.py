"""Customers and products: types, filters and sort orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import RfmSegment, Segment
from crm_graphql.schema.filters import (
    ALL_OF,
    ANY_OF,
    NONE_OF,
    BooleanFilter,
    DateTimeFilter,
    DecimalFilter,
    EntityFilter,
    FloatFilter,
    IDFilter,
    NullableFloatFilter,
    NullableStringFilter,
    StringFilter,
    condition,
    enum_filter,
    order_input,
)
from crm_graphql.schema.forecasts import FORECAST_DESCRIPTION, product_demand_forecast
from crm_graphql.schema.history import history
from crm_graphql.schema.nodes import ModelNode, personal, related
from crm_graphql.schema.value import VALUE_DESCRIPTION, CustomerValue, customer_value

if TYPE_CHECKING:
    from crm_graphql.schema.access import User, UserFilter
    from crm_graphql.schema.marketing import (
        CampaignMember,
        CampaignMemberFilter,
        CampaignMemberOrder,
        CampaignMemberRelationFilter,
    )
    from crm_graphql.schema.sales import (
        Order,
        OrderFilter,
        OrderLine,
        OrderLineFilter,
        OrderLineOrder,
        OrderLineRelationFilter,
        OrderOrder,
        OrderRelationFilter,
    )
    from crm_graphql.schema.service import (
        Ticket,
        TicketFilter,
        TicketOrder,
        TicketRelationFilter,
        Visit,
        VisitFilter,
        VisitOrder,
        VisitRelationFilter,
    )

SALES = "crm_graphql.schema.sales"
SERVICE = "crm_graphql.schema.service"
MARKETING = "crm_graphql.schema.marketing"

SegmentFilter = enum_filter(Segment)
RfmSegmentFilter = enum_filter(RfmSegment)
CustomerOrder = order_input(
    "Customer",
    {
        "ID": "id",
        "NAME": "name",
        "SEGMENT": "segment",
        "CREATED_AT": "created_at",
        "UPDATED_AT": "updated_at",
        "CLV": "clv",
        "EXPECTED_PURCHASES": "expected_purchases",
        "TOTAL_SPEND": "total_spend",
    },
)
ProductOrder = order_input(
    "Product", {"ID": "id", "SKU": "sku", "NAME": "name", "CATEGORY": "category", "CREATED_AT": "created_at"}
)


@strawberry.type(description="A person or organisation that buys from us: the centre of the CRM graph.")
class Customer(ModelNode):
    model = models.Customer
    history = history(models.Customer)

    name: str = strawberry.field(description="Display name: a person's full name or a company name.")
    email = personal("email", "Contact e-mail address; unique across customers when given.")
    phone = personal("phone", "Contact phone number in E.164 format, e.g. +4930123456.")
    address = personal("address", "Postal address on one line.")
    segment: Segment = strawberry.field(description="Market segment.")
    external_id: str | None = strawberry.field(description="Identifier of this customer in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the customer was added.")
    updated_at: datetime = strawberry.field(description="When the customer was last changed.")
    value: CustomerValue | None = strawberry.field(resolver=customer_value, description=VALUE_DESCRIPTION)

    owner = related(
        models.User,
        "owner_id",
        Annotated["User", strawberry.lazy("crm_graphql.schema.access")] | None,
        "The sales rep who owns this customer, if any.",
    )
    orders = connection(
        models.Order,
        Annotated["Order", strawberry.lazy(SALES)],
        "This customer's sales orders (by default oldest first).",
        parent_column="customer_id",
        filter_type=Annotated["OrderFilter", strawberry.lazy(SALES)],
        order_type=Annotated["OrderOrder", strawberry.lazy(SALES)],
    )
    visits = connection(
        models.Visit,
        Annotated["Visit", strawberry.lazy(SERVICE)],
        "Sales rep visits to this customer, planned and done (by default oldest first).",
        parent_column="customer_id",
        filter_type=Annotated["VisitFilter", strawberry.lazy(SERVICE)],
        order_type=Annotated["VisitOrder", strawberry.lazy(SERVICE)],
    )
    tickets = connection(
        models.Ticket,
        Annotated["Ticket", strawberry.lazy(SERVICE)],
        "Customer-service tickets this customer opened (by default oldest first).",
        parent_column="customer_id",
        filter_type=Annotated["TicketFilter", strawberry.lazy(SERVICE)],
        order_type=Annotated["TicketOrder", strawberry.lazy(SERVICE)],
    )
    campaign_memberships = connection(
        models.CampaignMember,
        Annotated["CampaignMember", strawberry.lazy(MARKETING)],
        "The marketing campaigns this customer is a member of, with their response.",
        parent_column="customer_id",
        filter_type=Annotated["CampaignMemberFilter", strawberry.lazy(MARKETING)],
        order_type=Annotated["CampaignMemberOrder", strawberry.lazy(MARKETING)],
    )


@strawberry.input(description="Conditions on customers; all the conditions given must hold.")
class CustomerFilter(EntityFilter):
    node_type = "Customer"

    and_: list[CustomerFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[CustomerFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: CustomerFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    search: str | None = condition(
        "Words that must each appear in the name, e-mail or phone number (case-insensitive), e.g. 'anna gmbh'."
    )
    id: IDFilter | None = condition("The customer's ID.")
    name: StringFilter | None = condition("The display name.")
    email: NullableStringFilter | None = condition("The e-mail address.")
    phone: NullableStringFilter | None = condition("The phone number (E.164).")
    address: NullableStringFilter | None = condition("The postal address.")
    segment: SegmentFilter | None = condition("The market segment.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    created_at: DateTimeFilter | None = condition("When the customer was added.")
    updated_at: DateTimeFilter | None = condition("When the customer was last changed.")
    total_spend: FloatFilter | None = condition("Sum of counted order totals as of the latest value fit (0 if none).")
    p_alive: NullableFloatFilter | None = condition(
        "Probability the customer is still active (null without a BG/NBD fit), e.g. {lt: 0.3} for slipping away."
    )
    expected_purchases: FloatFilter | None = condition(
        "Expected purchase days in the fit's horizon (`ValueFit.horizonDays`); 0 when unscored."
    )
    clv: FloatFilter | None = condition("Stored lifetime value (`ValueFit.clvMonths`); 0 when unscored.")
    rfm_segment: RfmSegmentFilter | None = condition("The RFM segment (unscored customers match no segment).")
    owner: Annotated["UserFilter", strawberry.lazy("crm_graphql.schema.access")] | None = condition(
        "The owning sales rep matches this filter (customers without an owner never match)."
    )
    orders: Annotated["OrderRelationFilter", strawberry.lazy(SALES)] | None = condition(
        "Conditions on the customer's orders."
    )
    visits: Annotated["VisitRelationFilter", strawberry.lazy(SERVICE)] | None = condition(
        "Conditions on the customer's visits."
    )
    tickets: Annotated["TicketRelationFilter", strawberry.lazy(SERVICE)] | None = condition(
        "Conditions on the customer's tickets, e.g. an open complaint."
    )
    campaign_memberships: Annotated["CampaignMemberRelationFilter", strawberry.lazy(MARKETING)] | None = condition(
        "Conditions on the customer's campaign memberships."
    )


@strawberry.input(description="Conditions on a set of customers related to a row.")
class CustomerRelationFilter:
    some: CustomerFilter | None = condition("At least one related customer matches.")
    none: CustomerFilter | None = condition("No related customer matches.")


@strawberry.type(description="Something we sell, identified by its SKU.")
class Product(ModelNode):
    model = models.Product
    history = history(models.Product)

    sku: str = strawberry.field(description="Stock keeping unit: the product's unique code.")
    name: str = strawberry.field(description="Product name.")
    category: str = strawberry.field(description="Product category, e.g. 'Coffee machines'.")
    unit_price: Decimal = strawberry.field(description="Current list price per unit, in the order currency.")
    active: bool = strawberry.field(description="False once the product is no longer sold.")
    external_id: str | None = strawberry.field(description="Identifier of this product in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the product was added.")
    updated_at: datetime = strawberry.field(description="When the product was last changed.")
    demand_forecast = strawberry.field(resolver=product_demand_forecast, description=FORECAST_DESCRIPTION)

    order_lines = connection(
        models.OrderLine,
        Annotated["OrderLine", strawberry.lazy(SALES)],
        "Order lines that sold this product (by default oldest first).",
        parent_column="product_id",
        filter_type=Annotated["OrderLineFilter", strawberry.lazy(SALES)],
        order_type=Annotated["OrderLineOrder", strawberry.lazy(SALES)],
    )


@strawberry.input(description="Conditions on products; all the conditions given must hold.")
class ProductFilter(EntityFilter):
    node_type = "Product"

    and_: list[ProductFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[ProductFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: ProductFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The product's ID.")
    sku: StringFilter | None = condition("The SKU.")
    name: StringFilter | None = condition("The product name.")
    category: StringFilter | None = condition("The category.")
    unit_price: DecimalFilter | None = condition("The list price.")
    active: BooleanFilter | None = condition("Whether the product is still sold.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    created_at: DateTimeFilter | None = condition("When the product was added.")
    order_lines: Annotated["OrderLineRelationFilter", strawberry.lazy(SALES)] | None = condition(
        "Conditions on the order lines that sold the product."
    )
