"""Marketing campaigns and their members."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import CampaignStatus, Channel, MemberStatus
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer
    from crm_graphql.schema.sales import Order


@strawberry.type(description="A marketing campaign: a channel, a budget, a period and the customers it targets.")
class Campaign(ModelNode):
    model = models.Campaign

    name: str = strawberry.field(description="Campaign name.")
    channel: Channel = strawberry.field(description="Channel used.")
    budget: Decimal = strawberry.field(description="Budget in the company's currency.")
    starts_on: date = strawberry.field(description="First day of the campaign.")
    ends_on: date = strawberry.field(description="Last day of the campaign (not before startsOn).")
    status: CampaignStatus = strawberry.field(description="Current state.")
    external_id: str | None = strawberry.field(description="Identifier of this campaign in a partner system.")
    created_at: datetime = strawberry.field(description="When the campaign was recorded.")
    updated_at: datetime = strawberry.field(description="When the campaign was last changed.")

    members = connection(
        models.CampaignMember,
        Annotated["CampaignMember", strawberry.lazy("crm_graphql.schema.marketing")],
        "The customers targeted by the campaign, with how each responded.",
        parent_column="campaign_id",
    )
    orders = connection(
        models.Order,
        Annotated["Order", strawberry.lazy("crm_graphql.schema.sales")],
        "Orders attributed to this campaign, oldest first.",
        parent_column="campaign_id",
    )


@strawberry.type(description="A customer's membership in a campaign and how they responded.")
class CampaignMember(ModelNode):
    model = models.CampaignMember

    status: MemberStatus = strawberry.field(description="How far the member got.")
    responded_at: datetime | None = strawberry.field(description="When the member first responded, if they did.")
    created_at: datetime = strawberry.field(description="When the customer was added to the campaign.")

    campaign = related(
        models.Campaign,
        "campaign_id",
        Annotated["Campaign", strawberry.lazy("crm_graphql.schema.marketing")],
        "The campaign.",
    )
    customer = related(
        models.Customer,
        "customer_id",
        Annotated["Customer", strawberry.lazy("crm_graphql.schema.customers")],
        "The customer.",
    )
