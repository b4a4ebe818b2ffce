"""Reading the graph: connections, keyset cursors, node look-ups, nested relations without N+1."""

from __future__ import annotations

from typing import Any

import pytest

from crm_graphql import models
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import customers_with_orders

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String) {
  customers(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}
"""


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def test_pages_forward_then_backward(gql: GraphQLClient) -> None:
    await customers_with_orders(5, orders_each=0)
    first = (await gql.data(PAGE, {"first": 2}))["customers"]
    assert first["totalCount"] == 5
    assert names(first) == ["Customer 0000", "Customer 0001"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False

    second = (await gql.data(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["customers"]
    assert names(second) == ["Customer 0002", "Customer 0003"]
    assert second["pageInfo"]["hasPreviousPage"] is True

    back = (await gql.data(PAGE, {"last": 2, "before": second["pageInfo"]["startCursor"]}))["customers"]
    assert names(back) == ["Customer 0000", "Customer 0001"]
    assert back["pageInfo"]["hasPreviousPage"] is False
    assert back["pageInfo"]["hasNextPage"] is True

    tail = (await gql.data(PAGE, {"last": 2}))["customers"]
    assert names(tail) == ["Customer 0003", "Customer 0004"]
    assert tail["pageInfo"]["hasPreviousPage"] is True


async def test_cursor_is_stable_when_rows_are_inserted(gql: GraphQLClient) -> None:
    await customers_with_orders(4, orders_each=0)
    first = (await gql.data(PAGE, {"first": 2}))["customers"]
    # A row inserted before the cursor would shift an offset cursor; a keyset cursor ignores it.
    await models.Customer.filter(name="Customer 0000").delete()
    await models.Customer.create(name="Late arrival", segment=models.Segment.ENTERPRISE)
    second = (await gql.data(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["customers"]
    assert names(second) == ["Customer 0002", "Customer 0003"]


async def test_soft_deleted_rows_are_left_out(gql: GraphQLClient) -> None:
    await customers_with_orders(3, orders_each=0)
    gone = await models.Customer.get(name="Customer 0002")
    gone.deleted_at = gone.created_at
    await gone.save()
    page = (await gql.data(PAGE, {"first": 10}))["customers"]
    assert names(page) == ["Customer 0000", "Customer 0001"]
    assert page["totalCount"] == 2


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "Argument 'first' must be at most 100, got 101."),
        ({"first": -1}, "Argument 'first' must not be negative."),
        ({"first": 1, "last": 1}, "Argument 'first' cannot be combined with last."),
        ({"after": "bm90LWEtY3Vyc29y"}, "Argument 'after' is not a cursor this API issued."),
    ],
)
async def test_bad_paging_arguments_are_clear_errors(
    gql: GraphQLClient, variables: dict[str, Any], message: str
) -> None:
    body = await gql(PAGE, variables)
    assert body["data"] == {"customers": None}
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_node_and_typed_lookup_by_global_id(gql: GraphQLClient) -> None:
    await customers_with_orders(2, orders_each=1)
    page = (await gql.data(PAGE, {"first": 1}))["customers"]
    customer_id = page["edges"][0]["node"]["id"]
    data = await gql.data(
        """query ($id: ID!) {
          node(id: $id) { __typename ... on Customer { name } }
          customer(id: $id) { name orders { edges { node { customer { name } } } } }
          order(id: $id) { id }
        }""",
        {"id": customer_id},
    )
    assert data["node"] == {"__typename": "Customer", "name": "Customer 0000"}
    assert data["customer"]["orders"]["edges"][0]["node"]["customer"]["name"] == "Customer 0000"
    assert data["order"] is None  # a customer's ID does not resolve to an order


NESTED = """
query Nested($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node {
      name
      owner { name }
      orders(first: 5) {
        totalCount
        edges { node {
          total
          lines { edges { node { quantity product { sku } } } }
        } }
      }
      visits { totalCount }
      tickets { edges { node { subject } } }
    } }
  }
}
"""


async def test_nested_query_statement_count_does_not_grow_with_rows(gql: GraphQLClient, sql: StatementCounter) -> None:
    await customers_with_orders(100, orders_each=2, lines_each=2)
    counts = {}
    for first in (10, 100):
        sql.reset()
        data = await gql.data(NESTED, {"first": first})
        edges = data["customers"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["orders"]["edges"]) == 2 for e in edges)
        assert all(len(o["node"]["lines"]["edges"]) == 2 for e in edges for o in e["node"]["orders"]["edges"])
        assert edges[0]["node"]["owner"] == {"name": "Ana Rep"}
        counts[first] = sql.count
    # the API key, customers page + count, owners, orders page + count, lines, products, visit counts, tickets
    assert counts[10] == counts[100] == 10, [s[:90] for s in sql.statements]


THREE_LEVELS = """
query ($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node { orders(first: 10) { totalCount edges { node { lines { edges { node { product { sku } } } } } } } } }
  }
}
"""


async def test_three_level_query_is_one_statement_per_level_plus_counts(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    await customers_with_orders(100, orders_each=3, lines_each=2)
    counts = {}
    for first in (10, 100):
        sql.reset()
        data = await gql.data(THREE_LEVELS, {"first": first})
        assert len(data["customers"]["edges"]) == first
        counts[first] = sql.count
    # customers, orders, lines, products: one each; plus the customers and orders counts and the API key
    assert counts == {10: 7, 100: 7}, sql.statements
