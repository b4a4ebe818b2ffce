"""Campaign and campaign member mutations through the HTTP API: validation, lifecycles, locking, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from crm_graphql.models import CampaignStatus, MemberStatus, Role
from tests.conftest import GraphQLClient, client_for, make_key

CREATE = """
mutation ($input: CampaignCreateInput!) {
  campaignCreate(input: $input) {
    campaign { id name channel budget startsOn endsOn status externalId version }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation ($input: CampaignUpdateInput!) {
  campaignUpdate(input: $input) { campaign { status startsOn endsOn version } errors { field code message } }
}
"""
DELETE = "mutation ($input: CampaignDeleteInput!) { campaignDelete(input: $input) { campaign { id } errors { code } } }"
RESTORE = (
    "mutation ($input: CampaignRestoreInput!) { campaignRestore(input: $input) { campaign { id } errors { code } } }"
)
ADD = """
mutation ($input: CampaignMembersAddInput!) {
  campaignMembersAdd(input: $input) {
    campaign { name }
    members { id status customer { name } }
    skipped
    errors { field code message }
  }
}
"""
MOVE = """
mutation ($input: CampaignMemberUpdateInput!) {
  campaignMemberUpdate(input: $input) {
    campaignMember { status respondedAt version }
    errors { field code message }
  }
}
"""
REMOVE = """
mutation ($input: CampaignMemberRemoveInput!) {
  campaignMemberRemove(input: $input) { campaignMember { id } errors { field code } }
}
"""
VALID = {"name": "Spring sale", "channel": "EMAIL", "startsOn": "2026-03-01", "endsOn": "2026-03-31"}


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def pk_of(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


async def create(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql.data(CREATE, {"input": {**VALID, **fields}}))["campaignCreate"]
    return result


async def customers(count: int) -> list[int]:
    await models.Customer.bulk_create(
        [models.Customer(name=f"Customer {n}", segment=models.Segment.CONSUMER) for n in range(count)]
    )
    return [c.pk for c in await models.Customer.all().order_by("id")]


async def add(gql: GraphQLClient, campaign: int, customer_ids: list[int]) -> dict[str, Any]:
    variables = {
        "input": {"campaign": gid("Campaign", campaign), "customers": [gid("Customer", c) for c in customer_ids]}
    }
    result: dict[str, Any] = (await gql.data(ADD, variables))["campaignMembersAdd"]
    return result


async def test_create_records_a_planned_campaign_with_audit_and_event(gql: GraphQLClient) -> None:
    result = await create(gql, budget="1500.5", externalId="MA-1")
    assert result["errors"] == []
    campaign = result["campaign"]
    assert (campaign["status"], campaign["budget"], campaign["version"]) == ("PLANNED", "1500.50", 1)
    row = await models.Campaign.get(pk=pk_of(campaign["id"]))
    assert (row.status, row.budget, str(row.ends_on)) == (CampaignStatus.PLANNED, Decimal("1500.50"), "2026-03-31")
    audit = await models.AuditEntry.get(entity="Campaign", entity_id=row.pk)
    assert audit.changes["budget"] == [None, "1500.50"]
    assert audit.changes["status"] == [None, "PLANNED"]
    assert [e.name for e in await models.OutboxEvent.all()] == ["campaign.created"]


async def test_budget_defaults_to_zero(gql: GraphQLClient) -> None:
    assert (await create(gql))["campaign"]["budget"] == "0.00"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"name": "x" * 201}, [("name", "TOO_LONG")]),
        ({"budget": "-1"}, [("budget", "OUT_OF_RANGE")]),
        ({"budget": "10.005"}, [("budget", "INVALID")]),
        ({"budget": "1000000000000"}, [("budget", "OUT_OF_RANGE")]),
        ({"budget": "NaN"}, [("budget", "INVALID")]),
        ({"endsOn": "2026-02-28"}, [("endsOn", "OUT_OF_RANGE")]),
        ({"externalId": "e" * 101}, [("externalId", "TOO_LONG")]),
        (
            {"name": "", "budget": "-5", "endsOn": "2026-01-01"},
            [("name", "REQUIRED"), ("budget", "OUT_OF_RANGE"), ("endsOn", "OUT_OF_RANGE")],
        ),
    ],
)
async def test_invalid_input_is_reported_field_by_field_and_writes_nothing(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await create(gql, **fields)
    assert (result["campaign"], codes(result)) == (None, expected)
    assert await models.Campaign.all().count() == 0
    assert await models.AuditEntry.all().count() == 0
    assert await models.OutboxEvent.all().count() == 0


async def test_external_id_is_unique_regardless_of_case(gql: GraphQLClient) -> None:
    await create(gql, externalId="MA-1")
    assert codes(await create(gql, externalId="ma-1")) == [("externalId", "DUPLICATE")]


async def test_idempotency_key_replays_and_refuses_other_input(gql: GraphQLClient) -> None:
    first = await create(gql, idempotencyKey="c-1")
    replay = await create(gql, idempotencyKey="c-1")
    assert replay == first
    assert (await models.Campaign.all().count(), await models.OutboxEvent.all().count()) == (1, 1)
    assert codes(await create(gql, idempotencyKey="c-1", name="Other")) == [
        ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    ]


async def test_status_moves_through_the_lifecycle_only(gql: GraphQLClient) -> None:
    campaign_id = (await create(gql))["campaign"]["id"]
    active = await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 1, "status": "ACTIVE"}})
    assert active["campaignUpdate"] == {
        "campaign": {"status": "ACTIVE", "startsOn": "2026-03-01", "endsOn": "2026-03-31", "version": 2},
        "errors": [],
    }
    back = await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 2, "status": "PLANNED"}})
    assert back["campaignUpdate"]["errors"] == [
        {
            "field": "status",
            "code": "INVALID_TRANSITION",
            "message": "Cannot move a campaign from ACTIVE to PLANNED; allowed from ACTIVE: COMPLETED, CANCELLED.",
        }
    ]
    row = await models.Campaign.get()
    assert (row.status, row.version) == (CampaignStatus.ACTIVE, 2)
    assert [e.name for e in await models.OutboxEvent.all().order_by("id")] == ["campaign.created", "campaign.updated"]
    audit = await models.AuditEntry.get(action="update")
    assert audit.changes == {"status": ["PLANNED", "ACTIVE"]}


async def test_dates_are_checked_as_a_pair_against_the_stored_one(gql: GraphQLClient) -> None:
    campaign_id = (await create(gql))["campaign"]["id"]
    late_start = await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 1, "startsOn": "2026-04-01"}})
    assert codes(late_start["campaignUpdate"]) == [("endsOn", "OUT_OF_RANGE")]
    both = await gql.data(
        UPDATE, {"input": {"id": campaign_id, "version": 1, "startsOn": "2026-04-01", "endsOn": "2026-04-30"}}
    )
    assert both["campaignUpdate"]["campaign"]["startsOn"] == "2026-04-01"
    nulls = await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 2, "name": None, "endsOn": None}})
    assert codes(nulls["campaignUpdate"]) == [("name", "REQUIRED"), ("endsOn", "REQUIRED")]


async def test_update_with_stale_version_is_a_conflict_and_writes_nothing(gql: GraphQLClient) -> None:
    campaign_id = (await create(gql))["campaign"]["id"]
    await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 1, "name": "New"}})
    stale = await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 1, "status": "ACTIVE"}})
    assert codes(stale["campaignUpdate"]) == [("version", "CONFLICT")]
    row = await models.Campaign.get()
    assert (row.name, row.status, row.version) == ("New", CampaignStatus.PLANNED, 2)


async def test_delete_and_restore(gql: GraphQLClient) -> None:
    campaign_id = (await create(gql))["campaign"]["id"]
    assert (await gql.data(DELETE, {"input": {"id": campaign_id, "version": 1}}))["campaignDelete"]["errors"] == []
    assert (await gql.data("{ campaigns { totalCount } }"))["campaigns"]["totalCount"] == 0
    assert (await gql.data(RESTORE, {"input": {"id": campaign_id}}))["campaignRestore"]["errors"] == []
    assert (await gql.data(RESTORE, {"input": {"id": campaign_id}}))["campaignRestore"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]
    assert (await models.Campaign.get()).deleted_at is None


async def test_members_are_added_once_and_already_members_skipped(gql: GraphQLClient) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    first, second, third = await customers(3)
    assert (await add(gql, campaign, [first]))["errors"] == []
    result = await add(gql, campaign, [second, first, third, second])
    assert result["errors"] == []
    assert [m["customer"]["name"] for m in result["members"]] == ["Customer 1", "Customer 2"]
    assert {m["status"] for m in result["members"]} == {"TARGETED"}
    assert result["skipped"] == [gid("Customer", first)]
    assert await models.CampaignMember.filter(campaign_id=campaign).count() == 3
    events = [e.name for e in await models.OutboxEvent.filter(entity="CampaignMember")]
    assert events == ["campaignMember.created"] * 3


async def test_adding_members_writes_all_or_nothing(gql: GraphQLClient) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    known = await customers(2)
    await models.Customer.filter(pk=known[1]).update(deleted_at=datetime.now(UTC))
    result = await add(gql, campaign, [known[0], 9999, known[1], known[0]])
    assert (result["campaign"], codes(result)) == (None, [("customers.1", "NOT_FOUND"), ("customers.2", "NOT_FOUND")])
    assert await models.CampaignMember.all().count() == 0
    assert await models.AuditEntry.filter(entity="CampaignMember").count() == 0


@pytest.mark.parametrize(
    ("customer_ids", "expected"),
    [
        ([], [("customers", "REQUIRED")]),
        (["Customer"] * 1_001, [("customers", "OUT_OF_RANGE")]),
        (["Product"], [("customers.0", "NOT_FOUND")]),
    ],
)
async def test_member_list_rules(gql: GraphQLClient, customer_ids: list[str], expected: list[tuple[str, str]]) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    variables = {"input": {"campaign": gid("Campaign", campaign), "customers": [gid(t, 1) for t in customer_ids]}}
    assert codes((await gql.data(ADD, variables))["campaignMembersAdd"]) == expected


async def test_members_join_only_planned_or_active_campaigns(gql: GraphQLClient) -> None:
    campaign_id = (await create(gql))["campaign"]["id"]
    await gql.data(UPDATE, {"input": {"id": campaign_id, "version": 1, "status": "CANCELLED"}})
    result = await add(gql, pk_of(campaign_id), await customers(1))
    assert codes(result) == [("campaign", "INVALID")]
    assert codes(await add(gql, 9999, [])) == [("campaign", "NOT_FOUND")]


async def test_a_thousand_members_in_one_call(gql: GraphQLClient) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    result = await add(gql, campaign, await customers(1_000))
    assert (result["errors"], len(result["members"])) == ([], 1_000)
    assert await models.CampaignMember.all().count() == 1_000
    assert await models.OutboxEvent.filter(name="campaignMember.created").count() == 1_000


async def test_member_status_moves_forward_and_records_the_response(gql: GraphQLClient) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    member_id = (await add(gql, campaign, await customers(1)))["members"][0]["id"]
    responded = await gql.data(MOVE, {"input": {"id": member_id, "version": 1, "status": "RESPONDED"}})
    member = responded["campaignMemberUpdate"]["campaignMember"]
    assert (member["status"], member["version"], member["respondedAt"] is not None) == ("RESPONDED", 2, True)
    back = await gql.data(MOVE, {"input": {"id": member_id, "version": 2, "status": "CONTACTED"}})
    assert codes(back["campaignMemberUpdate"]) == [("status", "INVALID_TRANSITION")]
    stale = await gql.data(MOVE, {"input": {"id": member_id, "version": 1, "status": "CONVERTED"}})
    assert codes(stale["campaignMemberUpdate"]) == [("version", "CONFLICT")]
    row = await models.CampaignMember.get()
    assert (row.status, row.version) == (MemberStatus.RESPONDED, 2)
    assert await models.OutboxEvent.filter(name="campaignMember.updated").count() == 1


async def test_removed_member_comes_back_when_added_again(gql: GraphQLClient) -> None:
    campaign = pk_of((await create(gql))["campaign"]["id"])
    customer_ids = await customers(1)
    member_id = (await add(gql, campaign, customer_ids))["members"][0]["id"]
    await gql.data(MOVE, {"input": {"id": member_id, "version": 1, "status": "CONTACTED"}})
    removed = await gql.data(REMOVE, {"input": {"id": member_id, "version": 2}})
    assert removed["campaignMemberRemove"] == {"campaignMember": {"id": member_id}, "errors": []}
    again = await add(gql, campaign, customer_ids)
    assert (again["members"][0]["id"], again["members"][0]["status"], again["skipped"]) == (member_id, "CONTACTED", [])
    assert (await models.CampaignMember.get()).deleted_at is None


async def test_marketers_write_campaigns_and_sales_reps_cannot(app: Any) -> None:
    async with client_for(app, await make_key(Role.MARKETER)) as http:
        assert (await create(GraphQLClient(http)))["errors"] == []
    for role in (Role.SALES_REP, Role.SUPPORT_AGENT):
        async with client_for(app, await make_key(role)) as http:
            gql = GraphQLClient(http)
            assert codes(await create(gql)) == [(None, "FORBIDDEN")]
            assert codes(await add(gql, 1, [1])) == [(None, "FORBIDDEN")]
    assert await models.Campaign.all().count() == 1
