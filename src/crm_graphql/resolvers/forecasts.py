"""Demand forecasts of products, categories, customer segments and the whole business, served from the cache.

Demand is units sold: the quantities on the live lines of live orders that count (CONFIRMED, SHIPPED,
COMPLETED), per UTC day, ISO week or calendar month. Only whole periods are forecast from, so the current,
partial period never looks like a slump. A forecast is cached under its scope's data version and the
current period: a new counted order bumps the version, a new period changes the key, and the cache TTL
bounds everything else.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from crm_graphql.ml.forecast import Backtest, Forecast, forecast
from crm_graphql.ml.series import Granularity, regular_series
from crm_graphql.models import OrderLine, OrderStatus, Segment
from crm_graphql.resolvers.analytics import finite, run_fit
from crm_graphql.resolvers.cache import Cache
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.reports import COUNTED_ORDER_STATUSES, ReportPeriod, Statement

logger = logging.getLogger(__name__)

# How far back a series reaches (3 years of days would make fits slow for little gain) and how far ahead
# a forecast may look: a few seasons at most, beyond which the intervals say little.
LOOKBACK = {ReportPeriod.DAY: 730, ReportPeriod.WEEK: 156, ReportPeriod.MONTH: 120}
MAX_HORIZON = {ReportPeriod.DAY: 366, ReportPeriod.WEEK: 104, ReportPeriod.MONTH: 36}
MAX_CATEGORY_LENGTH = 100  # products.category
KEY_VERSION = 1  # bump when DemandForecastResult changes shape, so old pickles are never read

ScopeKind = Literal["product", "category", "segment", "total"]


class ForecastMethod(StrEnum):
    """How a forecast was made (`ml.forecast.Forecast.method`)."""

    SEASONAL_NAIVE = "seasonal_naive"
    ETS = "ets"
    THETA = "theta"
    SARIMAX = "sarimax"
    COMBINATION = "combination"
    MEAN = "mean"
    NAIVE = "naive"
    SBA = "sba"
    ZERO = "zero"


@dataclass(frozen=True)
class DemandScope:
    """Whose demand: one product, a category, a customer segment, or everything sold."""

    kind: ScopeKind
    value: str = ""

    @classmethod
    def product(cls, product_id: int) -> DemandScope:
        return cls("product", str(product_id))

    @classmethod
    def category(cls, name: str) -> DemandScope:
        if not name or len(name) > MAX_CATEGORY_LENGTH:
            raise InvalidArgument("category", f"must have 1 to {MAX_CATEGORY_LENGTH} characters")
        return cls("category", name)

    @classmethod
    def segment(cls, segment: Segment) -> DemandScope:
        return cls("segment", Segment(segment).value)

    @classmethod
    def total(cls) -> DemandScope:
        return cls("total")

    @property
    def key(self) -> str:
        """A stable name for cache keys and data versions, e.g. `product:42`, `segment:consumer`, `total`."""
        return self.kind if self.kind == "total" else f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class ForecastPoint:
    period: date
    point: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class HistoryPoint:
    period: date
    quantity: float


@dataclass(frozen=True)
class BacktestScores:
    """`ml.forecast.Backtest` with NaN (no MASE on a constant history) as None."""

    origins: int
    horizon: int
    mase: float | None
    smape: float | None
    coverage_80: float | None
    coverage_95: float | None
    baseline_mase: float | None
    baseline_smape: float | None
    candidates: tuple[tuple[str, float | None], ...]  # (model, mean MASE), best first


# Plain values only: it is pickled into Redis, and shared by every request in a process.
@dataclass(frozen=True)
class DemandForecastResult:
    scope: str
    granularity: ReportPeriod
    horizon: int
    method: ForecastMethod
    model: str
    params: dict[str, Any]
    reason: str
    season_length: int
    points: tuple[ForecastPoint, ...]
    history: tuple[HistoryPoint, ...]
    backtest: BacktestScores | None
    computed_at: datetime


def period_start(moment: datetime, granularity: ReportPeriod) -> date:
    """The first day of the UTC period containing `moment`."""
    day = moment.astimezone(UTC).date()
    if granularity is ReportPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is ReportPeriod.MONTH:
        return day.replace(day=1)
    return day


def _periods_before(start: date, count: int, granularity: ReportPeriod) -> date:
    if granularity is ReportPeriod.DAY:
        return start - timedelta(days=count)
    if granularity is ReportPeriod.WEEK:
        return start - timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 - count
    return date(months // 12, months % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


async def demand_series(scope: DemandScope, granularity: ReportPeriod, *, now: datetime | None = None) -> pd.Series:
    """Units sold per whole period of `scope`, from its first sale (in the look-back) to the last whole period.

    Periods without sales are zero. The series starts at the first sale, not at the look-back limit, so a new
    product does not look intermittent; a scope without sales gives one zero period. A product's lines count
    in its category even if the product was deleted later: it was demand in that category.
    """
    current = period_start(now or datetime.now(UTC), granularity)
    low, last = _periods_before(current, LOOKBACK[granularity], granularity), _periods_before(current, 1, granularity)
    q = Statement()
    join, condition = "", ""
    if scope.kind == "product":
        condition = f"AND l.product_id = {q.bind(int(scope.value))} "
    elif scope.kind == "category":
        join, condition = "JOIN products p ON p.id = l.product_id ", f"AND p.category = {q.bind(scope.value)} "
    elif scope.kind == "segment":
        join, condition = "JOIN customers c ON c.id = o.customer_id ", f"AND c.segment = {q.bind(scope.value)} "
    sql = (
        f"SELECT {q.sql.periods[granularity].format('o.ordered_at')} AS period, SUM(l.quantity) AS units "
        f"FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.deleted_at IS NULL {join}"
        f"WHERE o.deleted_at IS NULL AND o.status IN ({q.bind(*COUNTED_ORDER_STATUSES)}) "
        f"AND o.ordered_at >= {q.bind(_midnight(low))} AND o.ordered_at < {q.bind(_midnight(current))} {condition}"
        f"GROUP BY 1 ORDER BY 1"
    )
    rows = await q.rows(sql)
    periods = [row["period"] if isinstance(row["period"], date) else date.fromisoformat(row["period"]) for row in rows]
    start = periods[0] if periods else last
    return regular_series(
        periods,
        [float(row["units"]) for row in rows],
        granularity=cast(Granularity, granularity.value),
        start=start,
        end=last,
    )


def check_horizon(horizon: int, granularity: ReportPeriod) -> None:
    if not 1 <= horizon <= MAX_HORIZON[granularity]:
        raise InvalidArgument("horizon", f"must be 1 to {MAX_HORIZON[granularity]} for {granularity.name}")


async def demand_forecast(
    cache: Cache,
    ttl: int,
    scope: DemandScope,
    horizon: int,
    granularity: ReportPeriod = ReportPeriod.WEEK,
    *,
    now: datetime | None = None,
) -> DemandForecastResult:
    """The forecast of `scope`'s demand for the `horizon` periods after the last whole one.

    Served from the cache when this scope's data has not changed since (and at most `ttl` seconds old).
    """
    check_horizon(horizon, granularity)
    now = now or datetime.now(UTC)
    # The version is read before the data: an order committed in between leaves a newer version behind,
    # so the next request recomputes instead of reading this value.
    version = await cache.version(f"series:{scope.key}")
    current = period_start(now, granularity)
    key = f"forecast:v{KEY_VERSION}:{scope.key}:{granularity.value}:{horizon}:{version}:{current.isoformat()}"

    async def compute() -> DemandForecastResult:
        series = await demand_series(scope, granularity, now=now)
        fitted = await run_fit(forecast, series, horizon)
        return _result(scope, granularity, horizon, series, fitted)

    return await cache.get_or_compute(key, ttl, compute)


async def orders_changed(cache: Cache, order_id: int) -> None:
    """Bump the data versions of the series order `order_id` feeds: its products, their categories, its
    customer's segment and the total, so their cached forecasts are recomputed.

    Call it after the change is committed. A DRAFT order feeds no series. Moving a product to another
    category bumps nothing: the forecasts of both categories catch up within the cache TTL.
    """
    try:
        rows = await OrderLine.filter(order_id=order_id).values_list(
            "product_id", "product__category", "order__customer__segment", "order__status"
        )
    except Exception:  # the order is committed; stale forecasts for one TTL beat a failed mutation
        logger.warning("could not read order %s to refresh its forecasts", order_id, exc_info=True)
        return
    if not rows or all(status == OrderStatus.DRAFT for *_, status in rows):
        return
    scopes = {DemandScope.total()}
    for product_id, category, segment, _ in rows:
        scopes |= {DemandScope.product(product_id), DemandScope("category", category), DemandScope.segment(segment)}
    await cache.bump(*sorted(f"series:{scope.key}" for scope in scopes))


def _result(
    scope: DemandScope, granularity: ReportPeriod, horizon: int, series: pd.Series, fitted: Forecast
) -> DemandForecastResult:
    points = tuple(
        ForecastPoint(
            period=_day(period),
            point=float(row["point"]),
            lower_80=float(row["lower_80"]),
            upper_80=float(row["upper_80"]),
            lower_95=float(row["lower_95"]),
            upper_95=float(row["upper_95"]),
        )
        for period, row in fitted.frame.iterrows()  # finite and clipped at zero by ml.forecast
    )
    history = tuple(HistoryPoint(_day(period), float(quantity)) for period, quantity in series.items())
    return DemandForecastResult(
        scope=scope.key,
        granularity=granularity,
        horizon=horizon,
        method=ForecastMethod(fitted.method),
        model=fitted.model,
        params={name: _plain(value) for name, value in fitted.params.items()},
        reason=fitted.reason,
        season_length=fitted.season_length,
        points=points,
        history=history,
        backtest=_scores(fitted.backtest),
        computed_at=datetime.now(UTC),
    )


def _scores(backtest: Backtest | None) -> BacktestScores | None:
    if backtest is None:
        return None
    ranked = sorted(backtest.scores.items(), key=lambda item: (math.isnan(item[1]), item[1]))
    return BacktestScores(
        origins=backtest.origins,
        horizon=backtest.horizon,
        mase=finite(backtest.mase),
        smape=finite(backtest.smape),
        coverage_80=finite(backtest.coverage_80),
        coverage_95=finite(backtest.coverage_95),
        baseline_mase=finite(backtest.baseline_mase),
        baseline_smape=finite(backtest.baseline_smape),
        candidates=tuple((model, finite(score)) for model, score in ranked),
    )


def _day(period: Any) -> date:
    return pd.Timestamp(period).date()


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a model parameter (numpy scalars and arrays become Python numbers and lists)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return finite(value)
    return value if value is None or isinstance(value, str) else str(value)
