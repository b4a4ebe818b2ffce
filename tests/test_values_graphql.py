"""Customer value scores: refreshed into the database, then read, filtered and sorted through the API."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.ml.scoring import ValueScores, score_customers
from crm_graphql.ml.value import clv as ml_clv
from crm_graphql.resolvers.values import refresh_values
from crm_graphql.settings import Settings
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter
from tests.test_server import serving

TODAY = date(2026, 6, 1)
VALUE = """
    value {
      purchaseDays totalSpend lastPurchaseOn pAlive pAliveInformative expectedPurchases expectedOrderValue clv
      rfm { recency frequency monetary segment }
    }
"""


async def purchase_history(customers: int = 30, seed: int = 7) -> dict[int, list[tuple[date, Decimal]]]:
    """Customers buying at their own rate for a while, some once; the last one never buys.

    Returns each buyer's counted purchases. DRAFT and CANCELLED orders are added too and must not count.
    """
    rng = np.random.default_rng(seed)
    owner = await factories.rep()
    await models.Customer.bulk_create(
        [models.Customer(name=f"Buyer {i:03d}", segment=models.Segment.CONSUMER, owner=owner) for i in range(customers)]
    )
    rows = await models.Customer.all().order_by("id")
    counted: dict[int, list[tuple[date, Decimal]]] = {}
    orders = []
    for i, customer in enumerate(rows[:-1]):
        first = int(rng.integers(0, 300))
        active_until = first if i % 5 == 0 else int(rng.integers(first + 20, 366))
        days = sorted({first, *rng.integers(first, active_until + 1, size=int(rng.integers(1, 10))).tolist()})
        for offset in days:
            day = TODAY - timedelta(days=366 - offset)
            amount = Decimal(int(rng.integers(2000, 20000))) / 100
            counted.setdefault(customer.pk, []).append((day, amount))
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
            orders.append(
                models.Order(customer=customer, status=models.OrderStatus.CONFIRMED, ordered_at=at, total=amount)
            )
        uncounted = datetime.combine(TODAY - timedelta(days=3), datetime.min.time(), UTC)
        for status in (models.OrderStatus.DRAFT, models.OrderStatus.CANCELLED):
            orders.append(models.Order(customer=customer, status=status, ordered_at=uncounted, total=Decimal("999")))
    await models.Order.bulk_create(orders)
    return counted


def expected_scores(counted: dict[int, list[tuple[date, Decimal]]]) -> ValueScores:
    """The same scores computed straight from the purchases, without the database."""
    rows = [(pk, day, float(amount)) for pk, purchases in counted.items() for day, amount in purchases]
    ids, days, amounts = zip(*rows, strict=True)
    return score_customers(
        np.array(ids),
        np.array(days, dtype="datetime64[D]"),
        np.array(amounts),
        observation_end=TODAY - timedelta(days=1),
    )


async def customers_page(gql: GraphQLClient, selection: str, arguments: str = "first: 100") -> list[dict[str, Any]]:
    data = await gql.data(f"{{ customers({arguments}) {{ edges {{ node {{ id name {selection} }} }} }} }}")
    return [edge["node"] for edge in data["customers"]["edges"]]


async def test_refresh_stores_the_scores_the_models_give(app: Any, gql: GraphQLClient) -> None:
    counted = await purchase_history()
    fit = await refresh_values(today=TODAY)
    assert fit is not None and fit.customers == len(counted) and fit.observation_end == TODAY - timedelta(days=1)
    expected = expected_scores(counted).customers
    nodes = {node["name"]: node for node in await customers_page(gql, VALUE)}
    by_pk = {pk: nodes[f"Buyer {i:03d}"]["value"] for i, pk in enumerate(sorted(counted))}
    for pk, value in by_pk.items():
        row = expected.loc[pk]
        assert value["purchaseDays"] == len(counted[pk])
        assert value["totalSpend"] == pytest.approx(float(sum(a for _, a in counted[pk])))
        assert value["lastPurchaseOn"] == max(d for d, _ in counted[pk]).isoformat()
        assert value["pAlive"] == pytest.approx(row["p_alive"], rel=1e-6)
        assert value["pAliveInformative"] is (len(counted[pk]) > 1)
        assert value["expectedPurchases"] == pytest.approx(row["expected_purchases"], rel=1e-6)
        assert value["clv"] == pytest.approx(row["clv"], rel=1e-6)
        assert (value["rfm"]["recency"], value["rfm"]["segment"]) == (
            row["rfm_r"],
            models.RfmSegment(row["rfm_segment"]).name,
        )
    assert nodes["Buyer 029"]["value"] is None  # never bought


async def test_value_arguments_are_computed_from_the_stored_history(app: Any, gql: GraphQLClient) -> None:
    counted = await purchase_history()
    await refresh_values(today=TODAY)
    scores = expected_scores(counted)
    assert scores.bgnbd is not None and scores.gamma_gamma is not None
    nodes = await customers_page(
        gql,
        "value { long: clv(months: 24, monthlyDiscountRate: 0.02) expectedPurchases soon: expectedPurchases(days: 9) }",
    )
    first = min(counted)
    node = next(n for n in nodes if n["name"] == "Buyer 000")
    row = scores.customers.loc[first]
    history = ([row["x"]], [row["t_x"]], [row["T"]], [row["mean_value"]])
    long = ml_clv(scores.bgnbd, scores.gamma_gamma, *history, months=24, monthly_discount_rate=0.02).values[0]
    assert node["value"]["long"] == pytest.approx(long, rel=1e-6)
    assert node["value"]["soon"] < node["value"]["expectedPurchases"]

    body = await gql("{ customers(first: 1) { edges { node { value { clv(months: 0) } } } } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_filter_and_sort_by_value(app: Any, gql: GraphQLClient) -> None:
    await purchase_history()
    await refresh_values(today=TODAY)
    slipping = await customers_page(gql, "value { pAlive }", "first: 100, filter: {pAlive: {lt: 0.3}}")
    in_database = await models.Customer.filter(p_alive__lt=0.3).count()
    assert len(slipping) == in_database and all(n["value"]["pAlive"] < 0.3 for n in slipping)

    everyone = await customers_page(gql, "value { clv }", "first: 100, orderBy: [{field: CLV, direction: DESC}]")
    clvs = [n["value"]["clv"] if n["value"] else 0.0 for n in everyone]
    assert clvs == sorted(clvs, reverse=True) and len(everyone) == 30

    paged, after = [], None
    while True:
        cursor = f', after: "{after}"' if after else ""
        data = await gql.data(
            f"{{ customers(first: 7, orderBy: [{{field: CLV, direction: DESC}}]{cursor}) "
            "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }"
        )
        paged += [e["node"]["id"] for e in data["customers"]["edges"]]
        if not data["customers"]["pageInfo"]["hasNextPage"]:
            break
        after = data["customers"]["pageInfo"]["endCursor"]
    assert paged == [n["id"] for n in everyone]

    champions = await customers_page(gql, "value { rfm { segment } }", "filter: {rfmSegment: {eq: CHAMPIONS}}")
    assert champions and all(n["value"]["rfm"]["segment"] == "CHAMPIONS" for n in champions)


async def test_value_statements_do_not_grow_with_the_page(app: Any, gql: GraphQLClient, sql: StatementCounter) -> None:
    await purchase_history()
    await refresh_values(today=TODAY)
    selection = "value { clv(months: 6) rfm { segment } fit { observationEnd bgNbd { r alpha } gammaGamma { p } } }"
    counts = []
    for first in (5, 25):
        sql.reset()
        assert len(await customers_page(gql, selection, f"first: {first}")) == first
        counts.append(sql.count)
    assert counts[0] == counts[1]


async def test_value_fit_is_exposed_and_refresh_clears_customers_who_no_longer_count(
    app: Any, gql: GraphQLClient
) -> None:
    counted = await purchase_history()
    await refresh_values(today=TODAY)
    fit = (
        await gql.data(
            "{ valueFit { customers repeatCustomers timeUnitDays clvMonths note bgNbd { r alpha a b logLikelihood } } }"
        )
    )["valueFit"]
    assert fit["customers"] == len(counted) and fit["timeUnitDays"] == 7 and fit["clvMonths"] == 12
    assert fit["bgNbd"]["logLikelihood"] < 0

    gone = min(counted)
    await models.Order.filter(customer_id=gone).update(status=models.OrderStatus.CANCELLED)
    await refresh_values(today=TODAY)
    assert (await models.Customer.get(pk=gone)).value_fit_id is None
    assert (await models.Customer.get(pk=gone)).clv == 0
    assert await models.ValueFit.all().count() == 2


async def test_refresh_without_purchases_clears_everything(app: Any) -> None:
    await purchase_history(customers=3)
    await refresh_values(today=TODAY)
    await models.Order.all().update(status=models.OrderStatus.CANCELLED)
    assert await refresh_values(today=TODAY) is None
    assert await models.Customer.filter(value_fit_id__isnull=False).count() == 0


async def test_scheduled_refresh_runs_at_startup(database_url: str) -> None:
    settings = Settings(database_url=database_url, cache_url="memory://", analytics_refresh_hours=24)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await purchase_history(customers=5)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        for _ in range(100):
            if await models.ValueFit.exists():
                break
            await asyncio.sleep(0.05)
        assert await models.Customer.filter(value_fit_id__isnull=False).count() == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a fresh database: no period claimed yet
async def test_replicas_sharing_redis_refresh_once_per_period(
    app: Any, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    await purchase_history(customers=5)
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": redis_url, "CRM_ANALYTICS_REFRESH_HOURS": "24"}
    with ExitStack() as replicas:
        for name in ("a", "b"):
            replicas.enter_context(serving(env=env, log=tmp_path / f"{name}.log"))
        for _ in range(200):
            if await models.ValueFit.exists():
                break
            await asyncio.sleep(0.05)
    # Both have stopped, each after finishing any refresh it had started: one fit between them.
    assert await models.ValueFit.all().count() == 1


def test_cli_refresh_prints_a_summary(tmp_path: Path) -> None:
    from tests.test_cli import run

    url = f"sqlite://{tmp_path / 'crm.sqlite3'}"
    assert run("seed", "--customers", "30", database_url=url).returncode == 0
    result = run("analytics", "refresh", database_url=url)
    assert result.returncode == 0, result.stderr
    assert "Scored" in result.stdout and "customers" in result.stdout
    assert "Scoring customer value" in result.stderr  # the progress bar
