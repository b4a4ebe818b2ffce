"""Demand forecasts over HTTP: the result, the cache (fits counted), invalidation by a new order, access."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from strawberry import relay

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.models import OrderStatus, Role, Segment
from crm_graphql.resolvers.analytics import FITS
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, StatementCounter, client_for, make_key

WEEKS = 104
HORIZON = 12
FORECAST = """
  granularity horizon method model parameters reason seasonLength computedAt
  points { period point lower80 upper80 lower95 upper95 }
  history { period quantity }
  backtest { origins horizon mase smape coverage80 coverage95 baselineMase baselineSmape candidates { model mase } }
"""
PRODUCT = f"""
query ($id: ID!, $horizon: Int!) {{
  product(id: $id) {{ demandForecast(horizon: $horizon, granularity: WEEK) {{ {FORECAST} }} }}
}}
"""
ROOT = f"""
query ($horizon: Int!, $category: String, $segment: Segment) {{
  demandForecast(horizon: $horizon, category: $category, segment: $segment) {{ {FORECAST} }}
}}
"""
CREATE = "mutation ($input: OrderCreateInput!) { orderCreate(input: $input) { order { id } errors { code } } }"


@dataclass(frozen=True)
class Shop:
    coffee: models.Product  # bought by a consumer
    tea: models.Product  # bought by an enterprise
    consumer: models.Customer
    units: dict[str, dict[date, float]]  # counted units per product and week, as inserted


def monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def gid(type_name: str, row: Any) -> str:
    return str(relay.GlobalID(type_name, str(row.pk)))


def weeks_back(current: date) -> list[date]:
    return [current - timedelta(weeks=n) for n in range(WEEKS, 0, -1)]


async def build_shop() -> Shop:
    """Two years of weekly orders for two products, with gaps, plus orders that must not count."""
    coffee = await models.Product.create(sku="CO-1", name="Coffee", category="Coffee", unit_price=Decimal("5.00"))
    tea = await models.Product.create(sku="TE-1", name="Tea", category="Tea", unit_price=Decimal("3.00"))
    consumer = await models.Customer.create(name="Ann", segment=Segment.CONSUMER)
    company = await models.Customer.create(name="Big Co", segment=Segment.ENTERPRISE)
    current = monday(datetime.now(UTC))
    plan: list[tuple[models.Customer, models.Product, datetime, int, OrderStatus]] = []
    units: dict[str, dict[date, float]] = {"coffee": {}, "tea": {}}
    for n, week in enumerate(weeks_back(current)):
        when = datetime.combine(week, datetime.min.time(), UTC) + timedelta(days=2, hours=10)
        coffee_units = 0 if n in (30, 61) else round(40 + 12 * math.sin(2 * math.pi * n / 13) + n % 4 + n / 10)
        if coffee_units:
            plan.append((consumer, coffee, when, coffee_units, OrderStatus.COMPLETED))
        plan.append((company, tea, when, 15 + n % 5, OrderStatus.SHIPPED))
        units["coffee"][week], units["tea"][week] = float(coffee_units), float(15 + n % 5)
    last_week = datetime.combine(current - timedelta(weeks=1), datetime.min.time(), UTC)
    now_week = datetime.combine(current, datetime.min.time(), UTC)
    plan += [
        (consumer, coffee, last_week, 500, OrderStatus.DRAFT),  # not counted
        (consumer, coffee, last_week, 500, OrderStatus.CANCELLED),  # not counted
        (consumer, coffee, now_week, 500, OrderStatus.CONFIRMED),  # the current, partial week: left out
    ]
    await models.Order.bulk_create(
        [models.Order(customer=c, status=s, ordered_at=t, total=p.unit_price * q) for c, p, t, q, s in plan]
    )
    orders = await models.Order.all().order_by("id")
    await models.OrderLine.bulk_create(
        [
            models.OrderLine(order=o, product=p, quantity=q, unit_price=p.unit_price, line_total=p.unit_price * q)
            for o, (_, p, _, q, _) in zip(orders, plan, strict=True)
        ]
    )
    return Shop(coffee, tea, consumer, units)


async def product_forecast(gql: GraphQLClient, product: models.Product) -> dict[str, Any]:
    data = await gql.data(PRODUCT, {"id": gid("Product", product), "horizon": HORIZON})
    result: dict[str, Any] = data["product"]["demandForecast"]
    return result


def history(result: dict[str, Any]) -> dict[date, float]:
    return {date.fromisoformat(h["period"]): h["quantity"] for h in result["history"]}


def order_line_statements(sql: StatementCounter) -> list[str]:
    return [s for s in sql.statements if "order_lines" in s]


async def test_product_forecast_shape_and_history(gql: GraphQLClient) -> None:
    shop = await build_shop()
    result = await product_forecast(gql, shop.coffee)

    current = monday(datetime.now(UTC))
    assert history(result) == shop.units["coffee"]  # gaps as zeros; drafts, cancellations and this week left out
    periods = [date.fromisoformat(p["period"]) for p in result["points"]]
    assert periods == [current + timedelta(weeks=n) for n in range(HORIZON)]
    for p in result["points"]:
        assert 0 <= p["lower95"] <= p["lower80"] <= p["point"] <= p["upper80"] <= p["upper95"]
    assert result["granularity"] == "WEEK" and result["horizon"] == HORIZON
    assert result["method"] in {"SEASONAL_NAIVE", "ETS", "THETA", "SARIMAX", "COMBINATION", "NAIVE"}
    assert result["model"] and result["reason"] and isinstance(result["parameters"], dict)
    backtest = result["backtest"]
    assert backtest["origins"] >= 2 and backtest["horizon"] == HORIZON
    assert backtest["mase"] > 0 and backtest["baselineMase"] > 0 and 0 <= backtest["coverage95"] <= 1
    assert backtest["candidates"][0]["mase"] == min(c["mase"] for c in backtest["candidates"])


async def test_second_identical_request_is_served_from_the_cache(gql: GraphQLClient, sql: StatementCounter) -> None:
    shop = await build_shop()
    sql.reset()
    first, fits = await product_forecast(gql, shop.coffee), FITS.count
    assert len(order_line_statements(sql)) == 1  # the cold request: one aggregate statement
    sql.reset()
    assert await product_forecast(gql, shop.coffee) == first
    assert FITS.count == fits
    assert order_line_statements(sql) == []


async def test_a_new_order_refits_its_products_forecast_only(gql: GraphQLClient) -> None:
    shop = await build_shop()
    coffee, tea = await product_forecast(gql, shop.coffee), await product_forecast(gql, shop.tea)
    tea_category = await gql.data(ROOT, {"horizon": HORIZON, "category": "Tea"})
    fits = FITS.count
    last_week = monday(datetime.now(UTC)) - timedelta(weeks=1)
    order = {
        "customer": gid("Customer", shop.consumer),
        "lines": [{"product": gid("Product", shop.coffee), "quantity": 50}],
        "status": "CONFIRMED",
        "orderedAt": f"{last_week.isoformat()}T12:00:00+00:00",
    }
    assert (await gql.data(CREATE, {"input": order}))["orderCreate"]["errors"] == []

    refitted = await product_forecast(gql, shop.coffee)
    assert FITS.count == fits + 1
    assert history(refitted)[last_week] == history(coffee)[last_week] + 50
    assert await product_forecast(gql, shop.tea) == tea
    assert await gql.data(ROOT, {"horizon": HORIZON, "category": "Tea"}) == tea_category
    assert FITS.count == fits + 1


async def test_concurrent_cold_requests_fit_once(gql: GraphQLClient) -> None:
    shop = await build_shop()
    fits = FITS.count
    results = await asyncio.gather(*(product_forecast(gql, shop.coffee) for _ in range(20)))
    assert FITS.count == fits + 1
    assert all(result == results[0] for result in results)


async def test_category_segment_and_total_forecasts(gql: GraphQLClient) -> None:
    shop = await build_shop()
    both = {week: shop.units["coffee"][week] + shop.units["tea"][week] for week in shop.units["tea"]}
    for variables, expected in [
        ({"category": "Coffee"}, shop.units["coffee"]),
        ({"segment": "ENTERPRISE"}, shop.units["tea"]),
        ({}, both),
    ]:
        result = (await gql.data(ROOT, {"horizon": 4, **variables}))["demandForecast"]
        assert history(result) == expected, variables
        assert len(result["points"]) == 4

    nothing = (await gql.data(ROOT, {"horizon": 4, "category": "Nobody buys this"}))["demandForecast"]
    assert nothing["method"] == "ZERO" and {p["upper95"] for p in nothing["points"]} == {0}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"horizon": 4, "category": "Coffee", "segment": "CONSUMER"}, "segment"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 105}, "horizon"),
        ({"horizon": 4, "category": ""}, "category"),
    ],
)
async def test_invalid_arguments(gql: GraphQLClient, variables: dict[str, Any], field: str) -> None:
    body = await gql(ROOT, variables)
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_ARGUMENT", field)
    ]


async def test_roles_without_report_access_are_forbidden(app: Any) -> None:
    shop = await build_shop()
    async with client_for(app, await make_key(Role.SALES_REP)) as http:
        rep = GraphQLClient(http)
        body = await rep(ROOT, {"horizon": 4})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        body = await rep(PRODUCT, {"id": gid("Product", shop.coffee), "horizon": 4})
        assert body["data"] == {"product": {"demandForecast": None}}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


@pytest.fixture
async def redis_app(settings: Settings, redis_url: str) -> AsyncIterator[Any]:
    """The app with its cache on Redis, after removing the forecasts and versions earlier tests left there."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        for pattern in ("crm:*:forecast:*", "crm:*:version:series:*", "crm:*:lock:forecast:*"):
            async for key in client.scan_iter(match=pattern):
                await client.delete(key)
    finally:
        await client.aclose()
    application = create_app(replace(settings, cache_url=redis_url))
    async with application.router.lifespan_context(application):
        yield application


async def test_redis_cache_serves_the_second_request(redis_app: Any) -> None:
    shop = await build_shop()
    async with client_for(redis_app, await make_key(Role.ADMIN)) as http:
        gql = GraphQLClient(http)
        fits = FITS.count
        first = await product_forecast(gql, shop.coffee)
        assert FITS.count == fits + 1
        assert await product_forecast(gql, shop.coffee) == first
        assert FITS.count == fits + 1


async def test_cold_forecast_does_not_block_other_requests(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    shop = await build_shop()
    fits = FITS.count
    forecast = asyncio.ensure_future(product_forecast(gql, shop.coffee))
    while FITS.count == fits:  # until the fit has started on the fit thread
        await asyncio.sleep(0.001)
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert not forecast.done()  # answered while the fit ran: the event loop was free
    await forecast
