"""The HTTP surface: health, readiness, GraphQL over HTTP, GraphiQL."""

from __future__ import annotations

import httpx

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.settings import Settings


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_with_database_and_cache(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "cache": "ok"}


async def test_readyz_degraded_when_cache_unreachable(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, cache_url="redis://127.0.0.1:1/0"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unreachable"}


async def test_graphiql_page_in_browser_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "/static/graphiql/graphiql.min.js" in response.text
    asset = await client.get("/static/graphiql/graphiql.min.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


async def test_query_by_get(client: httpx.AsyncClient) -> None:
    await models.User.create(name="Ana Rep", email="ana@example.com", role=models.Role.SALES_REP)
    response = await client.get("/graphql", params={"query": "{ users { totalCount } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"users": {"totalCount": 2}}}  # Ana and the test client's admin


async def test_mutation_by_get_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code in (400, 405)


async def test_graphql_response_media_type_when_asked(client: httpx.AsyncClient) -> None:
    accept = "application/graphql-response+json, application/json;q=0.9"
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": accept})
    assert invalid.status_code == 400
    assert "data" not in invalid.json()
    assert "nope" in invalid.json()["errors"][0]["message"]


async def test_plain_json_for_older_clients(client: httpx.AsyncClient) -> None:
    for accept in ("application/json", "*/*"):
        response = await client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert "nope" in response.json()["errors"][0]["message"]


async def test_oversized_body_is_refused(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, max_body_size=1_000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        response = await http.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 2_000})
    assert response.status_code == 413


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    given = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "trace-1"})
    assert given.headers["x-request-id"] == "trace-1"
    made = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "bad id!"})
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "bad id!"
