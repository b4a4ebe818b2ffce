"""Marketing campaigns and their members."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.schema.common import After, Before, Connection, First, Last, ModelNode, child_connection, load_one

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer
    from crm_graphql.schema.sales import Order

Channel = strawberry.enum(models.Channel, name="Channel", description="How a campaign reaches its members.")
CampaignStatus = strawberry.enum(
    models.CampaignStatus, name="CampaignStatus", description="PLANNED → ACTIVE → COMPLETED, or CANCELLED."
)
MemberStatus = strawberry.enum(
    models.MemberStatus,
    name="MemberStatus",
    description="How far a member got: TARGETED → CONTACTED → RESPONDED → CONVERTED.",
)


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

    @strawberry.field(description="The customers targeted by the campaign, with how each responded.")
    async def members(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[CampaignMember]:
        return child_connection(
            info, models.CampaignMember, "campaign_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Orders attributed to this campaign, oldest first.")
    async def orders(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Order, strawberry.lazy("crm_graphql.schema.sales")]]:
        return child_connection(
            info, models.Order, "campaign_id", self.pk, first=first, after=after, last=last, before=before
        )


@strawberry.type(description="A customer's membership in a campaign and how they responded.")
class CampaignMember(ModelNode):
    model = models.CampaignMember

    status: MemberStatus = strawberry.field(description="How far the member got.")
    responded_at: datetime | None = strawberry.field(description="When the member first responded, if they did.")
    created_at: datetime = strawberry.field(description="When the customer was added to the campaign.")

    @strawberry.field(description="The campaign.")
    async def campaign(self, info: Info) -> Campaign:
        return await load_one(info, models.Campaign, self.campaign_id)

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("crm_graphql.schema.customers")]:
        return await load_one(info, models.Customer, self.customer_id)
