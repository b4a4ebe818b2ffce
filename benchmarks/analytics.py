"""Analytics timings through the real app: demandForecast latency and value-score refresh time.

1. `demandForecast` of one product with 104 whole weeks of history, over HTTP (httpx's ASGI
   transport, so no network), on a fresh SQLite file with the in-memory cache:
   cold (the first request fits), cold again after an order made it stale (median of 5), and
   warm (served from the cache; median of 20).
2. `refresh_values()` (read, fit, write) for simulated CDNOW-like customers (benchmarks/value_fit.py),
   with the fit's own share.

    python benchmarks/analytics.py [customers ...]    # default: 10000 100000
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from strawberry.relay import to_base64
from value_fit import simulate

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.db import connected, migrate
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.resolvers.values import refresh_values
from crm_graphql.settings import Settings

WEEKS = 104
FORECAST = """query ($id: ID!) { product(id: $id) { demandForecast(horizon: 12) {
  method points { period point lower95 upper95 } } } }"""
ORDER = """mutation ($input: OrderCreateInput!) { orderCreate(input: $input) { errors { message } } }"""


def last_monday() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday())


async def weekly_history(product: models.Product, customer: models.Customer) -> None:
    """One confirmed order a week for WEEKS whole weeks: trend, a yearly season and noise."""
    rng = np.random.default_rng(7)
    first = last_monday() - timedelta(weeks=WEEKS)
    for week in range(WEEKS):
        units = max(1, round(40 + 0.2 * week + 10 * np.sin(2 * np.pi * week / 52) + rng.normal(0, 4)))
        at = datetime.combine(first + timedelta(weeks=week, days=2), datetime.min.time(), UTC)
        total = product.unit_price * units
        order = await models.Order.create(customer=customer, status="confirmed", ordered_at=at, total=total)
        await models.OrderLine.create(
            order=order, product=product, quantity=units, unit_price=product.unit_price, line_total=total
        )


async def timed_request(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return elapsed * 1000


async def forecast_latency(directory: Path) -> None:
    settings = Settings(database_url=f"sqlite://{directory / 'forecast.sqlite3'}", cache_url="memory://")
    await migrate(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        admin = await models.User.create(name="Bench", email="bench@example.com", role=models.Role.ADMIN)
        _, key = await create_api_key(admin, "bench", role_scopes(models.Role.ADMIN))
        product = await models.Product.create(sku="B-1", name="Bench", category="Bench", unit_price=Decimal("5.00"))
        customer = await models.Customer.create(name="Bench customer", segment="consumer")
        await weekly_history(product, customer)
        variables = {"id": to_base64("Product", product.pk)}
        order = {
            "input": {
                "customer": to_base64("Customer", customer.pk),
                "status": "CONFIRMED",
                "orderedAt": datetime.combine(last_monday() - timedelta(days=3), datetime.min.time(), UTC).isoformat(),
                "lines": [{"product": variables["id"], "quantity": 3}],
            }
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"authorization": f"Bearer {key}"}
        ) as http:
            cold = await timed_request(http, FORECAST, variables)
            stale = []
            for _ in range(5):
                await timed_request(http, ORDER, order)
                stale.append(await timed_request(http, FORECAST, variables))
            warm = [await timed_request(http, FORECAST, variables) for _ in range(20)]
    print(f"demandForecast, {WEEKS} weekly points, horizon 12 (in-process HTTP, SQLite, memory cache):")
    print(f"  cold (first request)      {cold:8.1f} ms")
    print(f"  cold after a new order    {statistics.median(stale):8.1f} ms  (median of 5)")
    print(f"  warm (cached)             {statistics.median(warm):8.1f} ms  (median of 20)")


async def refresh_time(directory: Path, customers: int) -> None:
    settings = Settings(database_url=f"sqlite://{directory / f'values_{customers}.sqlite3'}")
    await migrate(settings)
    buyer, dates, amounts = simulate(customers, seed=1)
    dates = dates + (pd.Timestamp(date.today() - timedelta(days=1)) - dates.max())  # observed up to yesterday
    async with connected(settings):
        await models.Customer.bulk_create(
            [models.Customer(name=f"C{i}", segment="consumer") for i in range(customers)], batch_size=5_000
        )
        ids = [c[0] for c in await models.Customer.all().order_by("id").values_list("id")]
        await models.Order.bulk_create(
            [
                models.Order(
                    customer_id=ids[c],
                    status="completed",
                    ordered_at=d.to_pydatetime().replace(tzinfo=UTC),
                    total=Decimal(f"{a:.2f}"),
                )
                for c, d, a in zip(buyer, dates, amounts, strict=True)
            ],
            batch_size=5_000,
        )
        started = time.perf_counter()
        fit = await refresh_values()
        elapsed = time.perf_counter() - started
    assert fit is not None
    print(
        f"value refresh, {customers:>7,} customers ({len(buyer):,} orders): {elapsed:6.2f} s in all, "
        f"fit {fit.fit_seconds:.2f} s; BG/NBD converged: {fit.bgnbd_converged}"
    )


async def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        await forecast_latency(Path(directory))
        for size in sizes:
            await refresh_time(Path(directory), size)


if __name__ == "__main__":
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000]))
