"""Demand forecasts in the graph: per product (`Product.demandForecast`) and per category, segment or in total."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.resolvers import forecasts
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.forecasts import DemandForecastResult, DemandScope, ForecastMethod
from crm_graphql.resolvers.policy import Entity, require
from crm_graphql.schema.enums import ReportPeriod, Segment
from crm_graphql.schema.errors import as_graphql_errors

strawberry.enum(
    ForecastMethod,
    name="ForecastMethod",
    description="How a forecast was made. SEASONAL_NAIVE and NAIVE repeat the last season or value (the "
    "baseline); ETS, THETA and SARIMAX are statistical models; COMBINATION averages several of them; MEAN is "
    "the history's mean (too short to backtest); SBA is Croston's method for intermittent demand (Syntetos-Boylan); "
    "ZERO means no demand in the history.",
)

_UNITS = "Units are the quantities on order lines of orders that count (CONFIRMED, SHIPPED or COMPLETED)."
FORECAST_DESCRIPTION = (
    "Forecast of this product's demand (units sold) for the periods after the last whole one, with 80% and 95% "
    "intervals; null, with an error, for callers who may not read reports."
)


@strawberry.type(description="Forecast demand in one future period. Never negative.")
class ForecastPoint:
    period: date = strawberry.field(
        description="First day of the period (UTC): the day, the ISO week's Monday or the 1st of the month."
    )
    point: float = strawberry.field(description="Expected units sold in the period.")
    # Named like the resolvers' ForecastPoint (lower_80 is `lower80` in GraphQL), which is served as it is.
    lower_80: float = strawberry.field(description="Lower bound of the 80% prediction interval.")
    upper_80: float = strawberry.field(description="Upper bound of the 80% prediction interval.")
    lower_95: float = strawberry.field(description="Lower bound of the 95% prediction interval.")
    upper_95: float = strawberry.field(description="Upper bound of the 95% prediction interval.")


@strawberry.type(description=f"Units sold in one past period. {_UNITS}")
class DemandHistoryPoint:
    period: date = strawberry.field(description="First day of the period (UTC).")
    quantity: float = strawberry.field(description="Units sold in the period; 0 when nothing was sold.")


@strawberry.type(description="How one candidate model did in the backtest.")
class CandidateScore:
    model: str = strawberry.field(description="The candidate, e.g. `ETS(A,Ad,N)` or `SeasonalNaive[52]`.")
    mase: float | None = strawberry.field(
        description="Its mean MASE over the origins (lower is better); null where it cannot be computed."
    )


@strawberry.type(
    description="Rolling-origin backtest: each model is refitted on the history up to several past origins and "
    "scored on the periods after them. Compare the chosen model with the baseline (seasonal naive) to judge it."
)
class ForecastBacktest:
    origins: int = strawberry.field(description="How many past origins were forecast from.")
    horizon: int = strawberry.field(description="Periods forecast from each origin.")
    mase: float | None = strawberry.field(
        description="Chosen model's mean absolute scaled error: below 1 beats the in-sample seasonal naive "
        "forecast; null when the history is constant."
    )
    smape: float | None = strawberry.field(description="Chosen model's symmetric mean absolute percentage error, %.")
    coverage80: float | None = strawberry.field(
        description="Share (0 to 1) of backtest actuals inside the chosen model's 80% intervals: close to 0.8 "
        "means the intervals can be trusted."
    )
    coverage95: float | None = strawberry.field(description="The same for the 95% intervals.")
    baseline_mase: float | None = strawberry.field(description="The baseline's mean MASE.")
    baseline_smape: float | None = strawberry.field(description="The baseline's sMAPE, %.")
    candidates: list[CandidateScore] = strawberry.field(description="Every candidate that was scored, best first.")


@strawberry.type(description=f"A demand forecast, the history it was made from and how it backtested. {_UNITS}")
class DemandForecast:
    granularity: ReportPeriod = strawberry.field(description="The length of a period.")
    horizon: int = strawberry.field(description="Number of forecast periods.")
    method: ForecastMethod = strawberry.field(description="The kind of method chosen.")
    model: str = strawberry.field(description="The model chosen, e.g. `Theta[52]` or `Combination(ETS(A,A,N), …)`.")
    parameters: JSON = strawberry.field(description="The chosen model's fitted parameters, by name.")
    reason: str = strawberry.field(description="Why this method was chosen, for a person.")
    season_length: int = strawberry.field(
        description="Periods in a season (7 days, 52 weeks or 12 months); 1 when the history is too short for one."
    )
    points: list[ForecastPoint] = strawberry.field(
        description="One entry per future period, starting with the current (partial) period."
    )
    history: list[DemandHistoryPoint] = strawberry.field(
        description="Units sold per whole period, from the first sale (at most 730 days, 156 weeks or 120 months "
        "back) to the last whole period; the current period is left out."
    )
    backtest: ForecastBacktest | None = strawberry.field(
        description="How the chosen model and the baseline did on the history; null when it is too short to test."
    )
    computed_at: datetime = strawberry.field(
        description="When the forecast was computed: forecasts are cached until an order changes the demand, a new "
        "period starts or the cache TTL passes."
    )


Horizon = Annotated[
    int,
    strawberry.argument(description="Number of periods to forecast: 1 to 366 days, 1 to 104 weeks or 1 to 36 months."),
]
Granularity = Annotated[
    ReportPeriod, strawberry.argument(description="The length of a period: DAY, WEEK (ISO, from Monday) or MONTH.")
]
Category = Annotated[
    str | None, strawberry.argument(description="Forecast the demand for this product category (exact name).")
]
SegmentArgument = Annotated[
    Segment | None, strawberry.argument(description="Forecast the demand of the customers in this segment.")
]


def as_graphql(result: DemandForecastResult) -> DemandForecast:
    backtest = result.backtest
    return DemandForecast(
        granularity=result.granularity,
        horizon=result.horizon,
        method=result.method,
        model=result.model,
        parameters=JSON(result.params),
        reason=result.reason,
        season_length=result.season_length,
        points=list(result.points),  # type: ignore[arg-type]  # the resolvers' points have the same fields
        history=list(result.history),  # type: ignore[arg-type]
        backtest=None
        if backtest is None
        else ForecastBacktest(
            origins=backtest.origins,
            horizon=backtest.horizon,
            mase=backtest.mase,
            smape=backtest.smape,
            coverage80=backtest.coverage_80,
            coverage95=backtest.coverage_95,
            baseline_mase=backtest.baseline_mase,
            baseline_smape=backtest.baseline_smape,
            candidates=[CandidateScore(model=model, mase=mase) for model, mase in backtest.candidates],
        ),
        computed_at=result.computed_at,
    )


async def _forecast(
    info: Info, scope: Callable[[], DemandScope], horizon: int, granularity: ReportPeriod
) -> DemandForecast:
    """The forecast of the scope made by `scope()` (called inside the error mapping, so it may raise)."""
    with as_graphql_errors():
        require(info.context.viewer, Entity.REPORTS)
        context = info.context
        result = await forecasts.demand_forecast(
            context.cache, context.settings.cache_ttl, scope(), horizon, ReportPeriod(granularity)
        )
    return as_graphql(result)


async def product_demand_forecast(
    root: strawberry.Parent[models.Product],
    info: Info,
    horizon: Horizon,
    granularity: Granularity = ReportPeriod.WEEK,
) -> DemandForecast | None:
    return await _forecast(info, lambda: DemandScope.product(root.pk), horizon, granularity)


def _root_scope(category: str | None, segment: Segment | None) -> DemandScope:
    if category is not None and segment is not None:
        raise InvalidArgument("segment", "cannot be combined with 'category': give one of them, or neither")
    if category is not None:
        return DemandScope.category(category)
    if segment is not None:
        return DemandScope.segment(segment)
    return DemandScope.total()


@strawberry.type(description="Demand forecasts beyond single products.")
class ForecastQueries:
    @strawberry.field(
        description="Forecast of the demand (units sold) of a product category, of a customer segment, or of "
        "everything when neither is given, with 80% and 95% intervals. For one product, use "
        "`Product.demandForecast`."
    )
    async def demand_forecast(
        self,
        info: Info,
        horizon: Horizon,
        granularity: Granularity = ReportPeriod.WEEK,
        category: Category = None,
        segment: SegmentArgument = None,
    ) -> DemandForecast:
        return await _forecast(info, lambda: _root_scope(category, segment), horizon, granularity)
