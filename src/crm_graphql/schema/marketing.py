"""Marketing campaigns and their members: types, filters and sort orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import CampaignStatus, Channel, MemberStatus
from crm_graphql.schema.filters import (
    ALL_OF,
    ANY_OF,
    NONE_OF,
    DateFilter,
    DateTimeFilter,
    DecimalFilter,
    EntityFilter,
    IDFilter,
    NullableDateTimeFilter,
    NullableStringFilter,
    StringFilter,
    condition,
    enum_filter,
    order_input,
)
from crm_graphql.schema.history import history
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer, CustomerFilter
    from crm_graphql.schema.sales import Order, OrderFilter, OrderOrder, OrderRelationFilter

CUSTOMERS = "crm_graphql.schema.customers"
SALES = "crm_graphql.schema.sales"

ChannelFilter = enum_filter(Channel)
CampaignStatusFilter = enum_filter(CampaignStatus)
MemberStatusFilter = enum_filter(MemberStatus)
CampaignOrder = order_input(
    "Campaign",
    {
        "ID": "id",
        "NAME": "name",
        "CHANNEL": "channel",
        "STATUS": "status",
        "STARTS_ON": "starts_on",
        "ENDS_ON": "ends_on",
        "CREATED_AT": "created_at",
    },
)
CampaignMemberOrder = order_input("CampaignMember", {"ID": "id", "STATUS": "status", "CREATED_AT": "created_at"})


@strawberry.type(description="A marketing campaign: a channel, a budget, a period and the customers it targets.")
class Campaign(ModelNode):
    model = models.Campaign
    history = history(models.Campaign)

    name: str = strawberry.field(description="Campaign name.")
    channel: Channel = strawberry.field(description="Channel used.")
    budget: Decimal = strawberry.field(description="Budget in the company's currency.")
    starts_on: date = strawberry.field(description="First day of the campaign.")
    ends_on: date = strawberry.field(description="Last day of the campaign (not before startsOn).")
    status: CampaignStatus = strawberry.field(description="Current state.")
    external_id: str | None = strawberry.field(description="Identifier of this campaign in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the campaign was recorded.")
    updated_at: datetime = strawberry.field(description="When the campaign was last changed.")

    members = connection(
        models.CampaignMember,
        Annotated["CampaignMember", strawberry.lazy("crm_graphql.schema.marketing")],
        "The customers targeted by the campaign, with how each responded.",
        parent_column="campaign_id",
        filter_type=Annotated["CampaignMemberFilter", strawberry.lazy("crm_graphql.schema.marketing")],
        order_type=CampaignMemberOrder,
    )
    orders = connection(
        models.Order,
        Annotated["Order", strawberry.lazy(SALES)],
        "Orders attributed to this campaign (by default oldest first).",
        parent_column="campaign_id",
        filter_type=Annotated["OrderFilter", strawberry.lazy(SALES)],
        order_type=Annotated["OrderOrder", strawberry.lazy(SALES)],
    )


@strawberry.input(description="Conditions on campaigns; all the conditions given must hold.")
class CampaignFilter(EntityFilter):
    node_type = "Campaign"

    and_: list[CampaignFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[CampaignFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: CampaignFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The campaign's ID.")
    name: StringFilter | None = condition("The campaign name.")
    channel: ChannelFilter | None = condition("The channel.")
    budget: DecimalFilter | None = condition("The budget.")
    starts_on: DateFilter | None = condition("The first day.")
    ends_on: DateFilter | None = condition("The last day.")
    status: CampaignStatusFilter | None = condition("The campaign's state.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    members: CampaignMemberRelationFilter | None = condition("Conditions on the campaign's members.")
    orders: Annotated["OrderRelationFilter", strawberry.lazy(SALES)] | None = condition(
        "Conditions on the orders attributed to the campaign."
    )


@strawberry.type(description="A customer's membership in a campaign and how they responded.")
class CampaignMember(ModelNode):
    model = models.CampaignMember
    history = history(models.CampaignMember)

    status: MemberStatus = strawberry.field(description="How far the member got.")
    responded_at: datetime | None = strawberry.field(description="When the member first responded, if they did.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the customer was added to the campaign.")

    campaign = related(models.Campaign, "campaign_id", Campaign, "The campaign.")
    customer = related(
        models.Customer, "customer_id", Annotated["Customer", strawberry.lazy(CUSTOMERS)], "The customer."
    )


@strawberry.input(description="Conditions on campaign memberships; all the conditions given must hold.")
class CampaignMemberFilter(EntityFilter):
    node_type = "CampaignMember"

    and_: list[CampaignMemberFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[CampaignMemberFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: CampaignMemberFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The membership's ID.")
    status: MemberStatusFilter | None = condition("How far the member got.")
    responded_at: NullableDateTimeFilter | None = condition("When the member responded.")
    created_at: DateTimeFilter | None = condition("When the customer was added.")
    campaign: CampaignFilter | None = condition("The campaign matches.")
    customer: Annotated["CustomerFilter", strawberry.lazy(CUSTOMERS)] | None = condition("The customer matches.")


@strawberry.input(description="Conditions on a set of campaign memberships related to a row.")
class CampaignMemberRelationFilter:
    some: CampaignMemberFilter | None = condition("At least one related membership matches.")
    none: CampaignMemberFilter | None = condition("No related membership matches.")
