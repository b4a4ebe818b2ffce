"""Product mutations through the HTTP API: payloads, validation, duplicates, locking, idempotency, audit, outbox."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from crm_graphql.models import Role
from tests.conftest import GraphQLClient, client_for, make_key

CREATE = """
mutation ($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id sku name category unitPrice active externalId version }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation ($input: ProductUpdateInput!) {
  productUpdate(input: $input) { product { id name unitPrice active version } errors { field code message } }
}
"""
DELETE = "mutation ($input: ProductDeleteInput!) { productDelete(input: $input) { product { id } errors { code } } }"
RESTORE = "mutation ($input: ProductRestoreInput!) { productRestore(input: $input) { product { id } errors { code } } }"
BASE = {"sku": "CM-100", "name": "Espresso machine", "category": "Coffee machines", "unitPrice": "499.90"}


async def create(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": {**BASE, **fields}})
    result: dict[str, Any] = data["productCreate"]
    return result


def pk_of(node_id: str) -> int:
    return int(GlobalID.from_id(node_id).node_id)


async def test_create_normalises_and_records_audit_and_event(gql: GraphQLClient) -> None:
    result = await create(gql, sku="  CM-100 ", unitPrice="499.9", externalId="ERP-P1")
    assert result["errors"] == []
    product = result["product"]
    assert (product["sku"], product["unitPrice"], product["active"], product["externalId"], product["version"]) == (
        "CM-100",
        "499.90",
        True,
        "ERP-P1",
        1,
    )
    row = await models.Product.get(pk=pk_of(product["id"]))
    audit = await models.AuditEntry.get(entity="Product", entity_id=row.pk)
    assert audit.action == models.AuditAction.CREATE
    assert audit.changes["unit_price"] == [None, "499.90"]
    assert audit.changes["sku"] == [None, "CM-100"]
    event = await models.OutboxEvent.get(entity="Product", entity_id=row.pk)
    assert event.name == "product.created"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"sku": " "}, [("sku", "REQUIRED")]),
        ({"sku": "s" * 65}, [("sku", "TOO_LONG")]),
        ({"name": "n" * 201, "category": ""}, [("name", "TOO_LONG"), ("category", "REQUIRED")]),
        ({"unitPrice": "-0.01"}, [("unitPrice", "OUT_OF_RANGE")]),
        ({"unitPrice": "10000000000"}, [("unitPrice", "OUT_OF_RANGE")]),
        ({"unitPrice": "1.005"}, [("unitPrice", "INVALID")]),
        ({"unitPrice": "NaN"}, [("unitPrice", "INVALID")]),
        ({"externalId": "e" * 101}, [("externalId", "TOO_LONG")]),
    ],
)
async def test_invalid_input_is_reported_field_by_field_and_writes_nothing(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await create(gql, **fields)
    assert result["product"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == expected
    assert await models.Product.all().count() == 0
    assert await models.AuditEntry.all().count() == 0
    assert await models.OutboxEvent.all().count() == 0


async def test_largest_price_fits_the_column(gql: GraphQLClient) -> None:
    result = await create(gql, unitPrice="9999999999.99")
    assert result["errors"] == []
    assert str((await models.Product.get()).unit_price) == "9999999999.99"


async def test_duplicates_are_typed_errors(gql: GraphQLClient) -> None:
    await create(gql, externalId="ERP-1")
    result = await create(gql, sku="cm-100", externalId="erp-1")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("sku", "DUPLICATE"), ("externalId", "DUPLICATE")]
    other = (await create(gql, sku="CM-200"))["product"]
    renamed = await gql.data(UPDATE, {"input": {"id": other["id"], "version": 1, "sku": "CM-100"}})
    assert [(e["field"], e["code"]) for e in renamed["productUpdate"]["errors"]] == [("sku", "DUPLICATE")]
    assert await models.Product.all().count() == 2


async def test_update_changes_given_fields_and_stale_version_is_a_conflict(gql: GraphQLClient) -> None:
    product = (await create(gql))["product"]
    changed = await gql.data(
        UPDATE, {"input": {"id": product["id"], "version": 1, "unitPrice": "450", "active": False}}
    )
    assert changed["productUpdate"] == {
        "product": {
            "id": product["id"],
            "name": "Espresso machine",
            "unitPrice": "450.00",
            "active": False,
            "version": 2,
        },
        "errors": [],
    }
    stale = await gql.data(UPDATE, {"input": {"id": product["id"], "version": 1, "name": "Stale"}})
    assert stale["productUpdate"] == {
        "product": None,
        "errors": [
            {
                "field": "version",
                "code": "CONFLICT",
                "message": "Product changed since version 1 (now 2): read it again and retry.",
            }
        ],
    }
    row = await models.Product.get()
    assert (row.name, row.version, str(row.unit_price), row.active) == ("Espresso machine", 2, "450.00", False)
    update = await models.AuditEntry.get(action="update")
    assert update.changes == {"unit_price": ["499.90", "450.00"], "active": [True, False]}
    assert await models.OutboxEvent.filter(name="product.updated").count() == 1


async def test_update_with_nulls_for_required_fields_is_rejected(gql: GraphQLClient) -> None:
    product = (await create(gql, externalId="ERP-1"))["product"]
    fields = {"sku": None, "unitPrice": None, "active": None, "externalId": None}
    result = await gql.data(UPDATE, {"input": {"id": product["id"], "version": 1, **fields}})
    errors = [(e["field"], e["code"]) for e in result["productUpdate"]["errors"]]
    assert errors == [("sku", "REQUIRED"), ("unitPrice", "REQUIRED"), ("active", "REQUIRED")]
    cleared = await gql.data(UPDATE, {"input": {"id": product["id"], "version": 1, "externalId": None}})
    assert cleared["productUpdate"]["errors"] == []
    assert (await models.Product.get()).external_id is None


async def test_unchanged_update_writes_nothing(gql: GraphQLClient) -> None:
    product = (await create(gql))["product"]
    same = await gql.data(UPDATE, {"input": {"id": product["id"], "version": 1, "unitPrice": "499.9"}})
    assert same["productUpdate"]["errors"] == []
    assert (await models.Product.get()).version == 1
    assert await models.AuditEntry.all().count() == 1


async def test_delete_and_restore(gql: GraphQLClient) -> None:
    product = (await create(gql))["product"]
    stale = await gql.data(DELETE, {"input": {"id": product["id"], "version": 7}})
    assert stale["productDelete"]["errors"] == [{"code": "CONFLICT"}]
    assert (await gql.data(DELETE, {"input": {"id": product["id"], "version": 1}}))["productDelete"]["errors"] == []
    assert (await gql.data("{ products { totalCount } }"))["products"]["totalCount"] == 0
    again = await gql.data(DELETE, {"input": {"id": product["id"], "version": 2}})
    assert again["productDelete"]["errors"] == [{"code": "NOT_FOUND"}]
    assert (await gql.data(RESTORE, {"input": {"id": product["id"]}}))["productRestore"]["errors"] == []
    assert (await gql.data("{ products { totalCount } }"))["products"]["totalCount"] == 1
    actions = [e.action for e in await models.AuditEntry.filter(entity="Product").order_by("id")]
    assert actions == ["create", "update", "update"]
    wrong_type = await gql.data(RESTORE, {"input": {"id": str(GlobalID("Customer", "1"))}})
    assert wrong_type["productRestore"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_idempotency_key_replays_and_refuses_other_input(gql: GraphQLClient) -> None:
    first = await create(gql, idempotencyKey="req-1")
    replay = await create(gql, idempotencyKey="req-1")
    assert replay["product"]["id"] == first["product"]["id"]
    assert await models.Product.all().count() == 1
    assert await models.AuditEntry.all().count() == 1
    other = await create(gql, idempotencyKey="req-1", unitPrice="1.00")
    assert [(e["field"], e["code"]) for e in other["errors"]] == [("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")]


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.SUPPORT_AGENT, Role.MARKETER])
async def test_roles_without_write_access_get_forbidden(app: Any, role: Role) -> None:
    async with client_for(app, await make_key(role)) as http:
        result = await create(GraphQLClient(http))
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert await models.Product.all().count() == 0
