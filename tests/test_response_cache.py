"""The opt-in response cache: identical queries answered without executing, until any mutation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.models import Role, Segment
from crm_graphql.resolvers.cache import DATA_VERSION, Cache
from crm_graphql.settings import Settings
from tests.conftest import StatementCounter, client_for, make_key
from tests.test_forecasts_graphql import gid

NAMES = "query ($first: Int) { customers(first: $first) { edges { node { name email } } } }"
RENAME = """
mutation ($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { name } errors { code } } }
"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, cache_url="memory://", response_cache_seconds=60)


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response


async def test_an_identical_query_is_answered_from_the_cache_until_a_mutation(app: Any, sql: StatementCounter) -> None:
    anna = await models.Customer.create(name="Anna", email="anna@example.com", segment=Segment.CONSUMER)
    async with client_for(app, await make_key(Role.ADMIN)) as http:
        await post(http, "{ __typename }")  # the key's first use is recorded
        sql.reset()
        await post(http, "{ __typename }")
        authentication = sql.count  # what every request costs before any operation runs

        first = await post(http, NAMES, {"first": 5})
        assert first.headers["x-response-cache"] == "miss"
        sql.reset()
        again = await post(http, NAMES, {"first": 5})
        assert again.headers["x-response-cache"] == "hit"
        assert again.content == first.content
        assert sql.count == authentication  # no statement of the query's own

        other = await post(http, NAMES, {"first": 1})  # other variables, other entry
        assert other.headers["x-response-cache"] == "miss"

        variables = {"input": {"id": gid("Customer", anna), "version": 1, "name": "Anna Weber"}}
        assert (await post(http, RENAME, variables)).json()["data"]["customerUpdate"]["errors"] == []
        after = await post(http, NAMES, {"first": 5})
        assert after.headers["x-response-cache"] == "miss"
        assert after.json()["data"]["customers"]["edges"][0]["node"]["name"] == "Anna Weber"


async def test_callers_with_other_permissions_never_share_an_entry(app: Any) -> None:
    await models.Customer.create(name="Anna", email="anna@example.com", segment=Segment.CONSUMER)
    async with client_for(app, await make_key(Role.ADMIN)) as admin:
        await post(admin, NAMES)
        assert (await post(admin, NAMES)).headers["x-response-cache"] == "hit"
    async with client_for(app, await make_key(Role.ADMIN, scopes=["customers:read"])) as no_pii:
        seen = await post(no_pii, NAMES)
        assert "x-response-cache" not in seen.headers  # answered with an error: computed, not stored
        assert seen.json()["data"]["customers"]["edges"][0]["node"]["email"] is None
        assert seen.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "x-response-cache" not in (await post(no_pii, NAMES)).headers


async def test_a_response_with_errors_is_computed_every_time(app: Any) -> None:
    async with client_for(app, await make_key(Role.ADMIN)) as http:
        for _ in range(2):
            missing = await post(http, "{ customer(id: 42) { name } }")
            assert missing.json()["errors"]
            assert "x-response-cache" not in missing.headers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_off_unless_configured(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, cache_url="memory://"))
    async with app.router.lifespan_context(app), client_for(app, await make_key(Role.ADMIN)) as http:
        for _ in range(2):
            assert "x-response-cache" not in (await post(http, NAMES)).headers


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_through_redis_a_mutation_on_one_replica_invalidates_every_replica(
    database_url: str, redis_url: str
) -> None:
    settings = Settings(database_url=database_url, cache_url=redis_url, response_cache_seconds=60)
    app = create_app(settings)
    other_replica = Cache.from_url(redis_url, settings.deployment)
    try:
        async with app.router.lifespan_context(app), client_for(app, await make_key(Role.ADMIN)) as http:
            anna = await models.Customer.create(name="Anna", segment=Segment.CONSUMER)
            await post(http, NAMES)
            assert (await post(http, NAMES)).headers["x-response-cache"] == "hit"  # bytes through Redis
            before = await other_replica.version(DATA_VERSION)
            await post(http, RENAME, {"input": {"id": gid("Customer", anna), "version": 1, "name": "Anna Weber"}})
            assert await other_replica.version(DATA_VERSION) == before + 1  # what the other replica keys by
            assert (await post(http, NAMES)).headers["x-response-cache"] == "miss"
    finally:
        await other_replica.close()
