"""Two real server processes sharing one PostgreSQL and one Redis: one forecast cache for both."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from crm_graphql.models import Role
from tests.conftest import GraphQLClient, make_key
from tests.test_forecasts_graphql import CREATE, PRODUCT, build_shop, gid, monday
from tests.test_server import serving


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_write_through_one_replica_refreshes_the_forecast_read_through_the_other(
    app: Any, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    shop = await build_shop()
    key = await make_key(Role.ADMIN)
    with redis.Redis.from_url(redis_url) as shared:  # forecasts of an earlier test on a database with the same ids
        for pattern in ("crm:*:forecast:*", "crm:*:version:series:*", "crm:*:lock:forecast:*"):
            for stale in shared.scan_iter(pattern):
                shared.delete(stale)
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": redis_url}
    variables = {"id": gid("Product", shop.coffee), "horizon": 12}
    with ExitStack() as servers:
        a = servers.enter_context(serving(env=env, log=tmp_path / "a.log"))
        b = servers.enter_context(serving(env=env, log=tmp_path / "b.log"))
        headers = {"authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(base_url=a.base, headers=headers, timeout=60) as http_a,
            httpx.AsyncClient(base_url=b.base, headers=headers, timeout=60) as http_b,
        ):
            via_a, via_b = GraphQLClient(http_a), GraphQLClient(http_b)
            first = (await via_b.data(PRODUCT, variables))["product"]["demandForecast"]
            again = (await via_a.data(PRODUCT, variables))["product"]["demandForecast"]
            assert again == first  # computed once, by B, and read from Redis by A

            last_week = monday(datetime.now(UTC)) - timedelta(weeks=1)
            order = {
                "customer": gid("Customer", shop.consumer),
                "status": "CONFIRMED",
                "lines": [{"product": gid("Product", shop.coffee), "quantity": 50}],
                "orderedAt": f"{last_week.isoformat()}T12:00:00+00:00",
            }
            assert (await via_a.data(CREATE, {"input": order}))["orderCreate"]["errors"] == []
            refreshed = (await via_b.data(PRODUCT, variables))["product"]["demandForecast"]
            assert refreshed["computedAt"] > first["computedAt"]
            week = {h["period"]: h["quantity"] for h in refreshed["history"]}[last_week.isoformat()]
            assert week == {h["period"]: h["quantity"] for h in first["history"]}[last_week.isoformat()] + 50
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()
