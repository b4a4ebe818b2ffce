"""Customer mutations through the HTTP API: payloads, validation, locking, idempotency, audit, outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from crm_graphql.models import Role
from tests.conftest import GraphQLClient, client_for, make_key

CREATE = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) {
    customer { id name email phone segment version owner { name } }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation ($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) { customer { id name phone version } errors { field code message } }
}
"""
DELETE = "mutation ($input: CustomerDeleteInput!) { customerDelete(input: $input) { customer { id } errors { code } } }"
RESTORE = (
    "mutation ($input: CustomerRestoreInput!) { customerRestore(input: $input) { customer { id } errors { code } } }"
)


async def create(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": {"name": "Anna Weber", "segment": "CONSUMER", **fields}})
    result: dict[str, Any] = data["customerCreate"]
    return result


async def test_create_normalises_and_records_audit_and_event(gql: GraphQLClient) -> None:
    result = await create(gql, email="Anna@Weber.EXAMPLE", phone="030 1234567")
    assert result["errors"] == []
    customer = result["customer"]
    assert (customer["email"], customer["phone"], customer["version"]) == ("Anna@weber.example", "+49301234567", 1)
    pk = int(GlobalID.from_id(customer["id"]).node_id)
    audit = await models.AuditEntry.get(entity="Customer", entity_id=pk)
    assert audit.action == models.AuditAction.CREATE
    assert audit.actor.startswith("key:")
    assert audit.changes["email"] == [None, "Anna@weber.example"]
    event = await models.OutboxEvent.get(entity_id=pk)
    assert event.name == "customer.created"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "  "}, [("name", "REQUIRED")]),
        ({"name": "x" * 201}, [("name", "TOO_LONG")]),
        ({"email": "not-an-address"}, [("email", "INVALID")]),
        ({"phone": "12"}, [("phone", "INVALID")]),
        ({"name": "", "email": "a@", "phone": "x"}, [("name", "REQUIRED"), ("email", "INVALID"), ("phone", "INVALID")]),
        ({"owner": str(GlobalID("Customer", "1"))}, [("owner", "NOT_FOUND")]),
        ({"externalId": "e" * 101}, [("externalId", "TOO_LONG")]),
    ],
)
async def test_invalid_input_is_reported_field_by_field_and_writes_nothing(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await create(gql, **fields)
    assert result["customer"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == expected
    assert await models.Customer.all().count() == 0
    assert await models.AuditEntry.all().count() == 0
    assert await models.OutboxEvent.all().count() == 0


async def test_duplicates_are_typed_errors(gql: GraphQLClient) -> None:
    await create(gql, email="anna@example.com", externalId="ERP-1")
    result = await create(gql, email="ANNA@example.com", externalId="ERP-1")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("email", "DUPLICATE"), ("externalId", "DUPLICATE")]


async def test_update_with_stale_version_is_a_conflict_and_writes_nothing(gql: GraphQLClient) -> None:
    customer = (await create(gql))["customer"]
    changed = await gql.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "phone": "+4930999999"}})
    assert changed["customerUpdate"]["customer"]["version"] == 2
    stale = await gql.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "Stale"}})
    assert stale["customerUpdate"] == {
        "customer": None,
        "errors": [
            {
                "field": "version",
                "code": "CONFLICT",
                "message": "Customer changed since version 1 (now 2): read it again and retry.",
            }
        ],
    }
    row = await models.Customer.get()
    assert (row.name, row.version) == ("Anna Weber", 2)
    assert await models.AuditEntry.filter(action="update").count() == 1


async def test_delete_and_restore(gql: GraphQLClient) -> None:
    customer = (await create(gql))["customer"]
    assert (await gql.data(DELETE, {"input": {"id": customer["id"], "version": 1}}))["customerDelete"]["errors"] == []
    listed = await gql.data("{ customers { totalCount } }")
    assert listed["customers"]["totalCount"] == 0
    again = await gql.data(DELETE, {"input": {"id": customer["id"], "version": 2}})
    assert again["customerDelete"]["errors"] == [{"code": "NOT_FOUND"}]
    assert (await gql.data(RESTORE, {"input": {"id": customer["id"]}}))["customerRestore"]["errors"] == []
    assert (await gql.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 1
    actions = [e.action for e in await models.AuditEntry.all().order_by("id")]
    assert actions == ["create", "update", "update"]  # deletion and restore change `deletedAt`


async def test_idempotency_key_replays_and_refuses_other_input(gql: GraphQLClient) -> None:
    first = await create(gql, idempotencyKey="req-1", email="a@example.com")
    replay = await create(gql, idempotencyKey="req-1", email="a@example.com")
    assert replay["customer"]["id"] == first["customer"]["id"]
    assert await models.Customer.all().count() == 1
    assert await models.AuditEntry.all().count() == 1
    other = await create(gql, idempotencyKey="req-1", email="b@example.com")
    assert other["errors"] == [
        {
            "field": "idempotencyKey",
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "This idempotency key was used with a different input.",
        }
    ]


async def test_reps_own_what_they_create_and_cannot_give_it_away(app: Any) -> None:
    key = await make_key(Role.SALES_REP)
    other_rep = await models.User.create(name="Other", email="other@example.com", role=Role.SALES_REP)
    async with client_for(app, key) as http:
        gql = GraphQLClient(http)
        mine = await create(gql)
        assert mine["customer"]["owner"]["name"] == "Test sales_rep"
        theirs = await create(gql, owner=str(GlobalID("User", str(other_rep.pk))))
    assert [(e["field"], e["code"]) for e in theirs["errors"]] == [("owner", "FORBIDDEN")]


async def test_roles_without_write_access_get_forbidden(app: Any) -> None:
    async with client_for(app, await make_key(Role.MARKETER)) as http:
        result = await create(GraphQLClient(http))
    assert result["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_twenty_concurrent_updates_one_wins(gql: GraphQLClient) -> None:
    customer = (await create(gql))["customer"]
    updates = [
        gql.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": f"Name {n}"}}) for n in range(20)
    ]
    results = [r["customerUpdate"] for r in await asyncio.gather(*updates)]
    assert sum(1 for r in results if r["errors"] == []) == 1
    assert sum(1 for r in results if r["errors"] and r["errors"][0]["code"] == "CONFLICT") == 19
    assert await models.AuditEntry.filter(action="update").count() == 1
    assert (await models.Customer.get()).version == 2


HISTORY = """
query ($id: ID!) {
  customer(id: $id) {
    history { totalCount edges { node { action actor changes { field oldValue newValue redacted } } } }
  }
}
"""


async def test_history_shows_each_change_newest_first(gql: GraphQLClient) -> None:
    customer = (await create(gql, email="anna@example.com"))["customer"]
    await gql.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "Anna W.", "phone": "+4930111222"}})
    history = (await gql.data(HISTORY, {"id": customer["id"]}))["customer"]["history"]
    assert history["totalCount"] == 2
    latest, first = (e["node"] for e in history["edges"])
    assert latest["action"] == "UPDATE" and first["action"] == "CREATE"
    assert latest["changes"] == [
        {"field": "name", "oldValue": '"Anna Weber"', "newValue": '"Anna W."', "redacted": False},
        {"field": "phone", "oldValue": None, "newValue": '"+4930111222"', "redacted": False},
    ]


async def test_history_hides_personal_data_from_keys_without_pii_read(app: Any, gql: GraphQLClient) -> None:
    customer = (await create(gql, email="anna@example.com", phone="+4930111222"))["customer"]
    key = await make_key(Role.PARTNER, ["customers:read"])
    async with client_for(app, key) as http:
        body = await GraphQLClient(http)(HISTORY, {"id": customer["id"]})
    changes = body["data"]["customer"]["history"]["edges"][0]["node"]["changes"]
    assert "anna@example.com" not in str(body) and "+4930111222" not in str(body)
    assert {c["field"]: c["redacted"] for c in changes}["email"] is True
    assert {c["field"]: c["newValue"] for c in changes}["name"] == '"Anna Weber"'


async def test_null_for_a_required_field_is_a_typed_error(gql: GraphQLClient) -> None:
    customer = (await create(gql))["customer"]
    result = await gql.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": None, "segment": None}})
    errors = result["customerUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("name", "REQUIRED"), ("segment", "REQUIRED")]
