"""Prometheus metrics at /metrics and JSON logs carrying the request id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from crm_graphql.app import create_app
from crm_graphql.models import Role
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, make_key
from tests.test_cli import admin_key
from tests.test_forecasts_graphql import PRODUCT, build_shop, gid
from tests.test_server import serving


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_operations_cache_lookups_and_fits(app: Any, gql: GraphQLClient, database_url: str) -> None:
    shop = await build_shop()
    before = await scrape(gql.http)
    variables = {"id": gid("Product", shop.coffee), "horizon": 12}
    named = PRODUCT.replace("query (", "query CoffeeForecast (", 1)
    await gql.data(named, variables)
    await gql.data(named, variables)
    await gql("{ nosuchfield }")
    after = await scrape(gql.http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("crm_graphql_operations_total", operation="CoffeeForecast", type="query", outcome="ok") == 2
    assert grew("crm_graphql_operations_total", operation="anonymous", type="query", outcome="error") == 1
    assert grew("crm_graphql_operation_seconds_count", operation="CoffeeForecast") == 2
    assert grew("crm_graphql_cache_lookups_total", result="hit") >= 1
    assert grew("crm_graphql_cache_lookups_total", result="miss") >= 1
    assert grew("crm_graphql_fit_seconds_count", kind="forecast") == 1
    if database_url.startswith("postgres"):
        assert value(after, "crm_graphql_db_pool_connections", state="max") >= 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_metrics_can_be_turned_off(database_url: str) -> None:
    application = create_app(Settings(database_url=database_url, metrics=False))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/metrics")).status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_json_logs_carry_the_request_id(app: Any, database_url: str, tmp_path: Path) -> None:
    key = await make_key(Role.ADMIN)
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": "memory://", "CRM_LOG_FORMAT": "json"}
    with serving(env=env, log=tmp_path / "server.log") as server:
        headers = {"authorization": f"Bearer {key}", "x-request-id": "trace-42"}
        response = httpx.post(f"{server.base}/graphql", json={"query": "{ __typename }"}, headers=headers, timeout=10)
        assert response.headers["x-request-id"] == "trace-42"
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= line.keys() for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access" and "POST /graphql" in line["message"]]
    assert [line["request_id"] for line in access] == ["trace-42"]


async def test_the_workers_of_one_server_share_their_metrics(tmp_path: Path) -> None:
    database = f"sqlite://{tmp_path / 'crm.sqlite3'}"
    key = admin_key(database)
    env = {"CRM_DATABASE_URL": database, "CRM_CACHE_URL": "memory://", "CRM_RATE_LIMIT_PER_MINUTE": "0"}
    with serving("--workers", "2", env=env, log=tmp_path / "server.log") as server:
        for _ in range(30):  # a new connection each time, so both workers answer some
            async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
                headers = {"authorization": f"Bearer {key}"}
                response = await http.post("/graphql", json={"query": "query Workers { __typename }"}, headers=headers)
                assert response.status_code == 200
        for _ in range(6):  # whichever worker answers the scrape counts all 30
            async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
                samples = await scrape(http)
            assert value(samples, "crm_graphql_operations_total", operation="Workers", type="query", outcome="ok") == 30
