"""Abuse limits: depth, aliases, tokens, query cost and request rate, refused before any SQL runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm_graphql.app import create_app
from crm_graphql.models import Role
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, StatementCounter, client_for, make_key

DEEP = "{ customers { edges { node { orders { edges { node { customer { orders { edges { node { customer {"
DEEP += " orders { edges { node { id } } } } } } } } } } } } } } }"
ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
TOKENS = "{ " + " ".join("__typename" for _ in range(6_000)) + " }"
HUGE_PAGE = """
{ customers(first: 100) { edges { node {
    orders(first: 100) { edges { node { lines(first: 100) { edges { node { product { sku } } } } } } } } } } }
"""
VARIABLE_PAGE = """
query ($n: Int) { customers(first: $n) { edges { node { orders(first: $n) { edges { node { id } } } } } } }
"""
REPORTS = """
{ a: salesReport(from: "2026-01-01", to: "2026-12-31", groupBy: MONTH, by: REP) { revenue }
  b: salesReport(from: "2025-01-01", to: "2025-12-31", groupBy: MONTH, by: REP) { revenue } }
"""


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (DEEP, {}, "exceeds maximum operation depth of 12"),
        (ALIASES, {}, "40 aliases found. Allowed: 30"),
        (TOKENS, {}, "Document contains more than 5000 tokens"),
        (HUGE_PAGE, {}, "Query cost 2,010,100 exceeds the limit of 50,000"),
        (VARIABLE_PAGE, {"n": 100}, "Query cost 10,100 exceeds the limit of 5,000"),
        (REPORTS, {}, "Query cost 2,000 exceeds the limit of 1,500"),
    ],
)
async def test_limits_refuse_before_any_sql(
    database_url: str, sql: StatementCounter, query: str, variables: dict[str, Any], message: str
) -> None:
    limit = {VARIABLE_PAGE: 5_000, REPORTS: 1_500}.get(query, 50_000)
    app = create_app(Settings(database_url=database_url, max_query_cost=limit))
    async with app.router.lifespan_context(app):
        key = await make_key(Role.ADMIN)
        async with client_for(app, key) as http:
            await http.post("/graphql", json={"query": "{ __typename }"})  # the key's first use
            sql.reset()
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"accept": "application/graphql-response+json"},
            )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert message in body["errors"][0]["message"], body
    assert [s for s in sql.statements if "api_keys" not in s] == []  # only authentication ran


async def test_cost_is_reported_in_the_error(gql: GraphQLClient) -> None:
    body = await gql(HUGE_PAGE)
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 2_010_100, "limit": 50_000}


async def test_a_normal_nested_page_is_within_budget(gql: GraphQLClient) -> None:
    await gql.data(VARIABLE_PAGE, {"n": 50})


async def test_rate_limit_per_key(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, rate_limit_per_minute=3))
    async with app.router.lifespan_context(app):
        key, other = await make_key(Role.ADMIN), await make_key(Role.MARKETER)
        async with client_for(app, key) as http, client_for(app, other) as second:
            statuses = [(await http.post("/graphql", json={"query": "{ __typename }"})).status_code for _ in range(4)]
            refused = await http.post("/graphql", json={"query": "{ __typename }"})
            unaffected = await second.post("/graphql", json={"query": "{ __typename }"})
    assert statuses == [200, 200, 200, 429]
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert unaffected.status_code == 200


async def test_introspection_can_be_disabled(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, introspection=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        body = (await http.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})).json()
    assert "introspection has been disabled" in body["errors"][0]["message"]


async def test_a_repeated_document_is_validated_once(gql: GraphQLClient) -> None:
    from strawberry.extensions.validation_cache import _get_validate_cache

    cache = _get_validate_cache(512)  # the schema's ValidationCache(maxsize=512) shares this LRU
    query = "query Once { customers(first: 2) { edges { node { name } } } }"
    await gql.data(query)
    before = cache.cache_info()
    for _ in range(3):
        await gql.data(query)
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
