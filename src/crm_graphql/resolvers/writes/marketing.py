"""Campaigns and their members: create (idempotent), update (status through its lifecycle), delete, restore.

Adding customers a campaign already targets skips them rather than failing, so a partner can retry an
upload that timed out and a marketer can re-send an overlapping list; a removed member added again is
restored with its history. Finished (COMPLETED or CANCELLED) campaigns take no new members: their
results are final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crm_graphql.models import Campaign, CampaignMember, CampaignStatus, Channel, Customer, MemberStatus
from crm_graphql.resolvers.errors import Duplicate, NotFound
from crm_graphql.resolvers.policy import Action, Entity, Viewer, require, scoped
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import (
    OutOfRange,
    Problems,
    Required,
    ValidationFailed,
    date_range,
    non_negative_money,
    optional_length,
    require_length,
)
from crm_graphql.resolvers.workflows import move_campaign, move_member
from crm_graphql.resolvers.writes.core import (
    create_row,
    delete_row,
    once,
    restore_row,
    taken,
    unique,
    update_row,
    writable,
)

MAX_NEW_MEMBERS = 1_000
FINISHED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
FIELDS = {
    "name": "name",
    "channel": "channel",
    "budget": "budget",
    "starts_on": "startsOn",
    "ends_on": "endsOn",
    "status": "status",
    "external_id": "externalId",
}


async def _clean(data: Mapping[str, Any], conn: BaseDBAsyncClient, row: Campaign | None = None) -> dict[str, Any]:
    """Validated column values for the fields given (the status moved through its lifecycle); all problems at once."""
    problems = Problems()
    values: dict[str, Any] = {}
    nulls = [column for column, value in data.items() if value is None and column != "external_id"]
    for column in nulls:
        problems.add(Required("Must not be null.", FIELDS[column]))
    data = {column: value for column, value in data.items() if column not in nulls}
    if "name" in data:
        values["name"] = problems.check(require_length, data["name"], field="name", model=Campaign, column="name")
    if "channel" in data:
        values["channel"] = Channel(data["channel"])
    if "budget" in data:
        values["budget"] = problems.check(
            non_negative_money, data["budget"], field="budget", model=Campaign, column="budget"
        )
    if data.keys() & {"starts_on", "ends_on"}:
        # The pair is checked even when one date changes, against the other's stored value.
        starts = data.get("starts_on", row.starts_on if row else None)
        ends = data.get("ends_on", row.ends_on if row else None)
        if starts is not None and ends is not None:
            problems.check(date_range, starts, ends, field="endsOn")
        values.update({column: data[column] for column in ("starts_on", "ends_on") if column in data})
    if "status" in data and row is not None:
        values.update(problems.check(move_campaign, row.status, CampaignStatus(data["status"])) or {})
    if "external_id" in data:
        external_id = problems.check(
            optional_length, data["external_id"], field="externalId", model=Campaign, column="external_id"
        )
        if external_id and await taken(Campaign, "external_id", external_id, conn, other_than=row.pk if row else None):
            problems.add(Duplicate("Another campaign already has this externalId.", "externalId"))
        values["external_id"] = external_id
    problems.raise_if_any()
    return values


async def create_campaign(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None
) -> tuple[Campaign, bool]:
    """A new PLANNED campaign and whether it was replayed."""
    viewer = require(viewer, Entity.CAMPAIGNS, Action.WRITE)

    async def create(conn: BaseDBAsyncClient) -> Campaign:
        values = await _clean(data, conn)
        planned = {**values, "status": CampaignStatus.PLANNED}
        return await unique(
            create_row(viewer, Campaign, planned, conn), "Another campaign already has this externalId.", "externalId"
        )

    return await once(viewer, idempotency_key, "campaignCreate", data, create, Campaign)


async def update_campaign(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> Campaign:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Campaign, pk, conn)
        values = await _clean(data, conn, row)
        return await unique(
            update_row(viewer, row, values, version, conn),
            "Another campaign already has this externalId.",
            "externalId",
        )


async def delete_campaign(viewer: Viewer | None, pk: int, version: int) -> Campaign:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Campaign, pk, conn)
        return await delete_row(viewer, row, version, conn)


async def restore_campaign(viewer: Viewer | None, pk: int) -> Campaign:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Campaign, pk, conn, deleted=True)
        return await restore_row(viewer, row, conn)


async def add_members(
    viewer: Viewer | None, campaign_pk: int, customer_pks: Sequence[int]
) -> tuple[Campaign, list[CampaignMember], list[int]]:
    """The campaign, the memberships added (or restored) and the customers skipped as already members."""
    async with in_transaction(PRIMARY) as conn:
        try:
            # Locking the campaign serialises concurrent additions, so none inserts a member twice.
            viewer, campaign = await writable(viewer, Campaign, campaign_pk, conn)
        except NotFound as error:
            raise NotFound(error.message, "campaign") from None
        if campaign.status in FINISHED:
            raise ValidationFailed(f"A {campaign.status.name} campaign takes no new members.", "campaign")
        if not customer_pks:
            raise Required("Give at least one customer.", "customers")
        if len(customer_pks) > MAX_NEW_MEMBERS:
            raise OutOfRange(
                f"At most {MAX_NEW_MEMBERS:,} customers at a time, got {len(customer_pks):,}.", "customers"
            )
        wanted = list(dict.fromkeys(customer_pks))
        found = set(await scoped(viewer, Customer).filter(id__in=wanted).using_db(conn).values_list("id", flat=True))
        problems = Problems()
        for index, pk in enumerate(customer_pks):
            if pk not in found:
                problems.add(NotFound("No customer with this ID.", f"customers.{index}"))
        problems.raise_if_any()
        members = CampaignMember.filter(campaign_id=campaign.pk, customer_id__in=wanted).using_db(conn)
        existing = {member.customer_id: member for member in await members}
        added, skipped = [], []
        for pk in wanted:
            member = existing.get(pk)
            if member is None:
                values = {"campaign_id": campaign.pk, "customer_id": pk}
                added.append(await create_row(viewer, CampaignMember, values, conn))
            elif member.deleted_at is not None:
                added.append(await restore_row(viewer, member, conn))
            else:
                skipped.append(pk)
        return campaign, added, skipped


async def update_member(viewer: Viewer | None, pk: int, version: int, status: MemberStatus) -> CampaignMember:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, CampaignMember, pk, conn)
        changes = move_member(row.status, MemberStatus(status), responded_at=row.responded_at, now=datetime.now(UTC))
        return await update_row(viewer, row, changes, version, conn)


async def remove_member(viewer: Viewer | None, pk: int, version: int) -> CampaignMember:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, CampaignMember, pk, conn)
        return await delete_row(viewer, row, version, conn)
