"""Filtering, ordering and search on connections, at the root and nested, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from tests.conftest import GraphQLClient, StatementCounter

CUSTOMERS = """
query ($filter: CustomerFilter, $orderBy: [CustomerOrder!], $first: Int, $after: String) {
  customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { name } }
  }
}
"""
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def seed() -> dict[str, models.Customer]:
    """Five customers with distinct traits; ties on segment to exercise the ID tie-breaker."""
    rep = await models.User.create(name="Rita Rep", email="rita@example.com", role=models.Role.SALES_REP)
    agent = await models.User.create(name="Sam Agent", email="sam@example.com", role=models.Role.SUPPORT_AGENT)
    rows = [
        ("Anna Weber GmbH", "anna@weber.example", "+4930111", models.Segment.ENTERPRISE, rep),
        ("Bob Stone", "bob@example.net", None, models.Segment.CONSUMER, None),
        ("Carla Diaz", None, "+34911222", models.Segment.CONSUMER, rep),
        ("Dan Brown Ltd", "dan@brown.example", "+44207333", models.Segment.SMALL_BUSINESS, rep),
        ("Eve Adams", "eve@example.org", None, models.Segment.CONSUMER, None),
    ]
    customers = {}
    for i, (name, email, phone, segment, owner) in enumerate(rows):
        customers[name] = await models.Customer.create(
            name=name, email=email, phone=phone, segment=segment, owner=owner
        )
        customers[name].created_at = T0 + timedelta(days=i)
        await customers[name].save()
    product = await models.Product.create(sku="P-1", name="Kettle", category="Kitchen", unit_price=Decimal("20.00"))
    for name, status, when in [
        ("Anna Weber GmbH", models.OrderStatus.COMPLETED, 1),
        ("Anna Weber GmbH", models.OrderStatus.CANCELLED, 2),
        ("Dan Brown Ltd", models.OrderStatus.CONFIRMED, 3),
        ("Bob Stone", models.OrderStatus.COMPLETED, 4),
    ]:
        order = await models.Order.create(
            customer=customers[name], status=status, ordered_at=T0 + timedelta(days=when), total=Decimal("40.00")
        )
        await models.OrderLine.create(
            order=order, product=product, quantity=2, unit_price=Decimal("20.00"), line_total=Decimal("40.00")
        )
    for name, kind, status in [
        ("Bob Stone", models.TicketKind.COMPLAINT, models.TicketStatus.OPEN),
        ("Carla Diaz", models.TicketKind.COMPLAINT, models.TicketStatus.CLOSED),
        ("Eve Adams", models.TicketKind.CONSULTATION, models.TicketStatus.NEW),
    ]:
        await models.Ticket.create(
            customer=customers[name], kind=kind, status=status, subject="Issue", opened_at=T0, assignee=agent
        )
    return customers


def names(data: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in data["customers"]["edges"]]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"name": {"contains": "WEBER"}}, ["Anna Weber GmbH"]),
        ({"name": {"startsWith": "b"}}, ["Bob Stone"]),
        ({"segment": {"in": ["SMALL_BUSINESS", "ENTERPRISE"]}}, ["Anna Weber GmbH", "Dan Brown Ltd"]),
        ({"segment": {"ne": "CONSUMER"}}, ["Anna Weber GmbH", "Dan Brown Ltd"]),
        ({"email": {"isNull": True}}, ["Carla Diaz"]),
        ({"phone": {"isNull": False}, "segment": {"eq": "CONSUMER"}}, ["Carla Diaz"]),
        ({"createdAt": {"gte": "2026-03-05T00:00:00+00:00"}}, ["Dan Brown Ltd", "Eve Adams"]),
        ({"or": [{"name": {"eq": "Eve Adams"}}, {"email": {"contains": "brown"}}]}, ["Dan Brown Ltd", "Eve Adams"]),
        ({"not": {"segment": {"eq": "CONSUMER"}}}, ["Anna Weber GmbH", "Dan Brown Ltd"]),
        (
            {"and": [{"segment": {"eq": "CONSUMER"}}, {"not": {"name": {"contains": "bob"}}}]},
            ["Carla Diaz", "Eve Adams"],
        ),
        ({"owner": {"name": {"eq": "Rita Rep"}}}, ["Anna Weber GmbH", "Carla Diaz", "Dan Brown Ltd"]),
        # customers with an open complaint
        (
            {"tickets": {"some": {"kind": {"eq": "COMPLAINT"}, "status": {"in": ["NEW", "OPEN", "PENDING"]}}}},
            ["Bob Stone"],
        ),
        ({"orders": {"none": {}}}, ["Carla Diaz", "Eve Adams"]),
        ({"orders": {"some": {"status": {"eq": "CANCELLED"}}}}, ["Anna Weber GmbH"]),
        ({"search": "anna gmbh"}, ["Anna Weber GmbH"]),
        ({"search": "+44207"}, ["Dan Brown Ltd"]),
        ({"search": "example.org"}, ["Eve Adams"]),
    ],
)
async def test_customer_filters(gql: GraphQLClient, filter_: dict[str, Any], expected: list[str]) -> None:
    await seed()
    data = await gql.data(CUSTOMERS, {"filter": filter_, "first": 10})
    assert names(data) == expected
    assert data["customers"]["totalCount"] == len(expected)


async def test_orders_of_a_segment_and_by_line_product(gql: GraphQLClient) -> None:
    await seed()
    data = await gql.data(
        """{ enterprise: orders(filter: {customer: {segment: {eq: ENTERPRISE}}}) { totalCount }
             kettles: orders(filter: {lines: {some: {product: {sku: {eq: "P-1"}}}}, status: {ne: CANCELLED}}) {
               totalCount } }"""
    )
    assert data == {"enterprise": {"totalCount": 2}, "kettles": {"totalCount": 3}}


async def test_filter_by_global_id(gql: GraphQLClient) -> None:
    await seed()
    first = await gql.data(CUSTOMERS, {"first": 2})
    ids = (await gql.data("{ customers(first: 2) { edges { node { id } } } }"))["customers"]["edges"]
    data = await gql.data(CUSTOMERS, {"filter": {"id": {"in": [e["node"]["id"] for e in ids]}}})
    assert names(data) == names(first)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([{"field": "NAME", "direction": "DESC"}], ["Eve Adams", "Dan Brown Ltd", "Carla Diaz", "Bob Stone"]),
        ([{"field": "SEGMENT"}, {"field": "NAME", "direction": "DESC"}], ["Eve Adams", "Carla Diaz", "Bob Stone"]),
        ([{"field": "CREATED_AT", "direction": "DESC"}], ["Eve Adams", "Dan Brown Ltd", "Carla Diaz", "Bob Stone"]),
    ],
)
async def test_ordering(gql: GraphQLClient, order_by: list[dict[str, str]], expected: list[str]) -> None:
    await seed()
    data = await gql.data(CUSTOMERS, {"orderBy": order_by, "first": len(expected)})
    assert names(data) == expected


async def test_paging_a_sorted_list_while_rows_are_inserted_returns_each_row_once(gql: GraphQLClient) -> None:
    await seed()
    for i in range(20):
        await models.Customer.create(name=f"Zed {i % 4}", segment=models.Segment.CONSUMER)  # ties on name
    existing = {c.pk: c.name for c in await models.Customer.all()}
    query = CUSTOMERS.replace("node { name }", "node { name id }")
    variables: dict[str, Any] = {"orderBy": [{"field": "NAME", "direction": "DESC"}], "first": 3}
    seen: list[tuple[int, str]] = []
    for round_ in range(100):
        page = (await gql.data(query, variables))["customers"]
        seen.extend((int(GlobalID.from_id(e["node"]["id"]).node_id), e["node"]["name"]) for e in page["edges"])
        # Rows that sort before and after the cursor arrive between pages.
        await models.Customer.create(name=f"Aaron {round_}", segment=models.Segment.CONSUMER)
        await models.Customer.create(name=f"Zzz {round_}", segment=models.Segment.CONSUMER)
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    old = [(pk, name) for pk, name in seen if pk in existing]
    assert sorted(pk for pk, _ in old) == sorted(existing)  # every pre-existing row exactly once
    assert [name for _, name in old] == sorted(existing.values(), reverse=True)


NESTED = """
query ($first: Int!) {
  customers(first: $first, orderBy: [{field: NAME}]) {
    edges { node {
      name
      orders(first: 1, orderBy: [{field: ORDERED_AT, direction: DESC}], filter: {status: {ne: CANCELLED}}) {
        totalCount
        edges { node { orderedAt status lines { edges { node { product { sku } } } } } }
      }
      tickets(filter: {kind: {eq: COMPLAINT}}) { totalCount }
    } }
  }
}
"""


async def test_nested_filtered_sorted_connections_are_batched(gql: GraphQLClient, sql: StatementCounter) -> None:
    await seed()
    counts = []
    for first in (2, 5):
        sql.reset()
        data = await gql.data(NESTED, {"first": first})
        counts.append(sql.count)
    by_name = {e["node"]["name"]: e["node"] for e in data["customers"]["edges"]}
    anna = by_name["Anna Weber GmbH"]
    assert anna["orders"]["totalCount"] == 1
    assert anna["orders"]["edges"][0]["node"]["status"] == "COMPLETED"
    assert anna["orders"]["edges"][0]["node"]["lines"]["edges"][0]["node"]["product"]["sku"] == "P-1"
    assert by_name["Carla Diaz"]["tickets"]["totalCount"] == 1
    # the API key, customers page, orders page + count, lines, products, ticket counts
    assert counts == [7, 7], sql.statements


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"filter": {"name": {"eq": 5}}}, "String cannot represent a non string value"),
        ({"filter": {"segment": {"eq": "PLANET"}}}, "Value 'PLANET' does not exist in 'Segment' enum"),
        ({"filter": {"createdAt": {"gt": "yesterday"}}}, "Value cannot represent a DateTime"),
        ({"filter": {"nope": {"eq": "x"}}}, "not to include unknown field 'nope'"),
        ({"orderBy": [{"field": "EMAIL"}]}, "Value 'EMAIL' does not exist in 'CustomerOrderField' enum"),
        ({"first": 500}, "Argument 'first' must be at most 100, got 500."),
        ({"filter": {"id": {"eq": "VXNlcjox"}}}, "Argument 'filter' expects Customer IDs, got one of a User."),
        ({"filter": {"name": {"in": ["x"] * 501}}}, "Argument 'filter' lists at most 500 values per operator."),
        ({"filter": {"search": "  "}}, "Argument 'search' needs at least one word."),
    ],
)
async def test_bad_filter_input_is_a_clear_error(gql: GraphQLClient, variables: dict[str, Any], message: str) -> None:
    body = await gql(CUSTOMERS, variables)
    assert body.get("data") in (None, {"customers": None})  # validation errors have no data at all
    assert message in body["errors"][0]["message"], body["errors"]


async def test_cursor_from_another_ordering_is_refused(gql: GraphQLClient) -> None:
    await seed()
    page = await gql.data(CUSTOMERS, {"first": 1, "orderBy": [{"field": "NAME"}]})
    body = await gql(CUSTOMERS, {"first": 1, "after": page["customers"]["pageInfo"]["endCursor"]})
    assert body["errors"][0]["message"] == (
        "Argument 'after' was issued for a different orderBy; start again without a cursor."
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
