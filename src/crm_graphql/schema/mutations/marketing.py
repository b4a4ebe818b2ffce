"""Campaign mutations (create, update, delete, restore) and campaign membership (add, move, remove)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.validation import Problems
from crm_graphql.resolvers.writes import marketing as writes
from crm_graphql.schema.enums import CampaignStatus, Channel, MemberStatus
from crm_graphql.schema.marketing import Campaign, CampaignMember
from crm_graphql.schema.mutations.payloads import UserError, attempt, given, row_id

UNSET: Any = strawberry.UNSET
WRITTEN = "The {} as written; null when there are errors."
ERRORS = "Why nothing was written; empty on success."


@strawberry.input(description="A new campaign; it starts PLANNED.")
class CampaignCreateInput:
    name: str = strawberry.field(description="Campaign name (required, at most 200 characters).")
    channel: Channel = strawberry.field(description="How the campaign reaches its members.")
    starts_on: date = strawberry.field(description="First day of the campaign.")
    ends_on: date = strawberry.field(description="Last day of the campaign, not before `startsOn`.")
    budget: Decimal | None = strawberry.field(
        default=UNSET, description="Budget, not negative, at most 2 decimal places (default 0)."
    )
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional key: the same key and input again returns the first result."
    )


@strawberry.input(description="Changes to a campaign: only the fields given change; null clears `externalId`.")
class CampaignUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The campaign to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    channel: Channel | None = strawberry.field(default=UNSET, description="New channel.")
    budget: Decimal | None = strawberry.field(default=UNSET, description="New budget.")
    starts_on: date | None = strawberry.field(default=UNSET, description="New first day (checked against `endsOn`).")
    ends_on: date | None = strawberry.field(default=UNSET, description="New last day (checked against `startsOn`).")
    status: CampaignStatus | None = strawberry.field(
        default=UNSET, description="New state: PLANNED → ACTIVE → COMPLETED, or CANCELLED before completion."
    )
    external_id: str | None = strawberry.field(default=UNSET, description="New partner identifier.")


@strawberry.input(description="A campaign to delete (softly: it can be restored).")
class CampaignDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The campaign to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted campaign to bring back.")
class CampaignRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted campaign.")


@strawberry.input(description="Customers to target with a campaign that is PLANNED or ACTIVE.")
class CampaignMembersAddInput:
    campaign: relay.GlobalID = strawberry.field(description="The campaign.")
    customers: list[relay.GlobalID] = strawberry.field(
        description="IDs of 1 to 1,000 customers; those already members are skipped, removed ones come back."
    )


@strawberry.input(description="A campaign member's progress.")
class CampaignMemberUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The membership to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    status: MemberStatus = strawberry.field(
        description="How far the member got; only forward moves (RESPONDED or CONVERTED sets `respondedAt`)."
    )


@strawberry.input(description="A membership to end (softly: adding the customer again restores it).")
class CampaignMemberRemoveInput:
    id: relay.GlobalID = strawberry.field(description="The membership to remove.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.type(description="The result of campaignCreate.")
class CampaignCreatePayload:
    campaign: Campaign | None = strawberry.field(description=WRITTEN.format("campaign"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignUpdate.")
class CampaignUpdatePayload:
    campaign: Campaign | None = strawberry.field(description=WRITTEN.format("campaign"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignDelete.")
class CampaignDeletePayload:
    campaign: Campaign | None = strawberry.field(description=WRITTEN.format("campaign"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignRestore.")
class CampaignRestorePayload:
    campaign: Campaign | None = strawberry.field(description=WRITTEN.format("campaign"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignMembersAdd: all customers are added, or none.")
class CampaignMembersAddPayload:
    campaign: Campaign | None = strawberry.field(description="The campaign; null when there are errors.")
    members: list[CampaignMember] = strawberry.field(description="The memberships added or restored, in input order.")
    skipped: list[relay.GlobalID] = strawberry.field(description="Customers left out as they already were members.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignMemberUpdate.")
class CampaignMemberUpdatePayload:
    campaign_member: CampaignMember | None = strawberry.field(description=WRITTEN.format("membership"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of campaignMemberRemove.")
class CampaignMemberRemovePayload:
    campaign_member: CampaignMember | None = strawberry.field(description=WRITTEN.format("membership"))
    errors: list[UserError] = strawberry.field(description=ERRORS)


def _customer_ids(ids: list[relay.GlobalID]) -> list[int]:
    problems = Problems()
    pks = [problems.check(row_id, node_id, "Customer", f"customers.{index}") for index, node_id in enumerate(ids)]
    problems.raise_if_any()
    return [pk for pk in pks if pk is not None]


@strawberry.type
class MarketingMutations:
    @strawberry.mutation(description="Create a campaign. Partners can pass `idempotencyKey` to retry safely.")
    async def campaign_create(
        self, info: Info, input: Annotated[CampaignCreateInput, strawberry.argument(description="The campaign.")]
    ) -> CampaignCreatePayload:
        async def run() -> Any:
            data = given(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_campaign(info.context.viewer, data, idempotency_key=key)
            return row

        campaign, errors = await attempt(run())
        return CampaignCreatePayload(campaign=campaign, errors=errors)

    @strawberry.mutation(description="Change a campaign's fields or move its status (optimistic locking).")
    async def campaign_update(
        self,
        info: Info,
        input: Annotated[CampaignUpdateInput, strawberry.argument(description="The campaign and the changes.")],
    ) -> CampaignUpdatePayload:
        async def run() -> Any:
            data = given(input)
            pk, version = row_id(data.pop("id"), "Campaign"), data.pop("version")
            return await writes.update_campaign(info.context.viewer, pk, version, data)

        campaign, errors = await attempt(run())
        return CampaignUpdatePayload(campaign=campaign, errors=errors)

    @strawberry.mutation(description="Delete a campaign (soft: it disappears from lists and can be restored).")
    async def campaign_delete(
        self, info: Info, input: Annotated[CampaignDeleteInput, strawberry.argument(description="The campaign.")]
    ) -> CampaignDeletePayload:
        async def run() -> Any:
            return await writes.delete_campaign(info.context.viewer, row_id(input.id, "Campaign"), input.version)

        campaign, errors = await attempt(run())
        return CampaignDeletePayload(campaign=campaign, errors=errors)

    @strawberry.mutation(description="Restore a deleted campaign.")
    async def campaign_restore(
        self, info: Info, input: Annotated[CampaignRestoreInput, strawberry.argument(description="The campaign.")]
    ) -> CampaignRestorePayload:
        async def run() -> Any:
            return await writes.restore_campaign(info.context.viewer, row_id(input.id, "Campaign"))

        campaign, errors = await attempt(run())
        return CampaignRestorePayload(campaign=campaign, errors=errors)

    @strawberry.mutation(description="Target customers with a campaign, in one transaction.")
    async def campaign_members_add(
        self,
        info: Info,
        input: Annotated[CampaignMembersAddInput, strawberry.argument(description="The campaign and customers.")],
    ) -> CampaignMembersAddPayload:
        async def run() -> Any:
            campaign_pk = row_id(input.campaign, "Campaign", "campaign")
            return await writes.add_members(info.context.viewer, campaign_pk, _customer_ids(input.customers))

        result, errors = await attempt(run())
        if result is None:
            return CampaignMembersAddPayload(campaign=None, members=[], skipped=[], errors=errors)
        campaign, members, skipped = result
        ids = [relay.GlobalID("Customer", str(pk)) for pk in skipped]
        return CampaignMembersAddPayload(campaign=campaign, members=members, skipped=ids, errors=[])

    @strawberry.mutation(description="Record a campaign member's progress (optimistic locking with `version`).")
    async def campaign_member_update(
        self,
        info: Info,
        input: Annotated[CampaignMemberUpdateInput, strawberry.argument(description="The membership and status.")],
    ) -> CampaignMemberUpdatePayload:
        async def run() -> Any:
            pk = row_id(input.id, "CampaignMember")
            return await writes.update_member(info.context.viewer, pk, input.version, input.status)

        member, errors = await attempt(run())
        return CampaignMemberUpdatePayload(campaign_member=member, errors=errors)

    @strawberry.mutation(description="Remove a customer from a campaign (soft: adding them again restores it).")
    async def campaign_member_remove(
        self,
        info: Info,
        input: Annotated[CampaignMemberRemoveInput, strawberry.argument(description="The membership to remove.")],
    ) -> CampaignMemberRemovePayload:
        async def run() -> Any:
            pk = row_id(input.id, "CampaignMember")
            return await writes.remove_member(info.context.viewer, pk, input.version)

        member, errors = await attempt(run())
        return CampaignMemberRemovePayload(campaign_member=member, errors=errors)
