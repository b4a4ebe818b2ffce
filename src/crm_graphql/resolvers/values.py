"""Customer value scores: refreshed by one fit over every customer, then served from `customers`.

A refresh reads one aggregate (spend per customer and UTC day on counted orders), fits on the fit
thread, and writes the fit and every customer's scores in one transaction, so readers see the old
scores or the new ones, never a mix. Scores are derived data: writing them bumps no version, no
`updatedAt`, no audit entry and no event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from tortoise.transactions import in_transaction

from crm_graphql.ml.scoring import ScoringAssumptions, ValueScores, score_customers
from crm_graphql.ml.value import BGNBDParams, GammaGammaParams, clv, expected_purchases
from crm_graphql.models import Customer, ValueFit
from crm_graphql.resolvers.analytics import finite, run_fit
from crm_graphql.resolvers.cache import DATA_VERSION, Cache
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.reports import COUNTED_ORDER_STATUSES, ReportPeriod, Statement
from crm_graphql.resolvers.routing import PRIMARY

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (customers written, customers to write)

WRITE_BATCH = 1_000
MAX_DAYS = 3_653  # expectedPurchases(days:) up to ten years
MAX_MONTHS = 120

# Scored columns in write order; `value_fit_id` and `id` follow in the UPDATE.
_WRITTEN = {
    "purchase_days": "purchase_days",
    "last_purchase_on": "last_purchase_on",
    "total_spend": "total_spend",
    "repeat_purchases": "x",
    "recency_units": "t_x",
    "age_units": "T",
    "mean_repeat_value": "mean_value",
    "rfm_r": "rfm_r",
    "rfm_f": "rfm_f",
    "rfm_m": "rfm_m",
    "rfm_segment": "rfm_segment",
    "p_alive": "p_alive",
    "expected_purchases": "expected_purchases",
    "expected_order_value": "expected_order_value",
    "clv": "clv",
}
_NOT_NULL = {"total_spend", "expected_purchases", "clv"}  # sortable, so never null: unscored is 0
_CLEARED = ", ".join(f"{column} = {'0' if column in _NOT_NULL else 'NULL'}" for column in _WRITTEN)


async def refresh_values(
    *, today: date | None = None, assumptions: ScoringAssumptions | None = None, progress: Progress | None = None
) -> ValueFit | None:
    """Fit the value models on every live customer's counted orders up to yesterday and store the scores.

    Returns the new fit, or None when no customer has a counted order (every score is cleared then).
    """
    observation_end = (today or datetime.now(UTC).date()) - timedelta(days=1)  # whole days only
    log = await _purchase_days(observation_end)
    if log.empty:
        async with in_transaction(PRIMARY) as conn:
            await conn.execute_query(f"UPDATE customers SET value_fit_id = NULL, {_CLEARED}")
        return None
    scores = await run_fit(
        score_customers,
        log["customer_id"].to_numpy(),
        log["day"].to_numpy(),
        log["amount"].to_numpy(),
        observation_end=observation_end,
        assumptions=assumptions,
    )
    return await _store(scores, progress)


async def refresh_values_every(cache: Cache, hours: float, stop: asyncio.Event) -> None:
    """Refresh once in every period of `hours` (starting now) until `stop` is set.

    With a shared cache only the first replica to claim a period refreshes in it; the scores are in the
    database, so the others read them. A failed refresh is logged and tried again next period.
    """
    period = hours * 3600
    while not stop.is_set():
        try:
            if await cache.claim(f"value-refresh:{int(time.time() // period)}", period):
                fit = await refresh_values()
                await cache.bump(DATA_VERSION)
                logger.info("value scores refreshed (fit %s)", fit.pk if fit else None)
        except Exception:
            logger.exception("value score refresh failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), period - time.time() % period)  # until the next period


async def _purchase_days(observation_end: date) -> pd.DataFrame:
    q = Statement()
    day = q.sql.periods[ReportPeriod.DAY].format("o.ordered_at")
    end = datetime.combine(observation_end + timedelta(days=1), datetime.min.time(), UTC)
    rows = await q.rows(
        f"SELECT o.customer_id AS customer_id, {day} AS day, SUM({q.sql.cents.format('o.total')}) AS cents "
        f"FROM orders o JOIN customers c ON c.id = o.customer_id AND c.deleted_at IS NULL "
        f"WHERE o.deleted_at IS NULL AND o.status IN ({q.bind(*COUNTED_ORDER_STATUSES)}) "
        f"AND o.ordered_at < {q.bind(end)} GROUP BY 1, 2"
    )
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "cents"])
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("int64"),
            "day": pd.to_datetime(frame["day"].astype(str)),
            "amount": frame["cents"].astype(float) / 100,
        }
    )


async def _store(scores: ValueScores, progress: Progress | None) -> ValueFit:
    bg, gg, a = scores.bgnbd, scores.gamma_gamma, scores.assumptions
    frame = scores.customers
    async with in_transaction(PRIMARY) as conn:
        fit = await ValueFit.create(
            using_db=conn,
            fitted_at=datetime.now(UTC),
            observation_end=scores.observation_end,
            time_unit_days=a.time_unit_days,
            horizon_days=a.horizon_days,
            clv_months=a.clv_months,
            monthly_discount_rate=a.monthly_discount_rate,
            customers=len(frame),
            repeat_customers=int((frame["x"] > 0).sum()),
            bgnbd_r=bg.r if bg else None,
            bgnbd_alpha=bg.alpha if bg else None,
            bgnbd_a=bg.a if bg else None,
            bgnbd_b=bg.b if bg else None,
            bgnbd_log_likelihood=bg.log_likelihood if bg else None,
            bgnbd_converged=bg.converged if bg else None,
            gg_p=gg.p if gg else None,
            gg_q=gg.q if gg else None,
            gg_gamma=gg.gamma if gg else None,
            gg_log_likelihood=gg.log_likelihood if gg else None,
            gg_converged=gg.converged if gg else None,
            fit_seconds=scores.fit_seconds,
            note="; ".join(scores.notes),
        )
        mark = Statement().sql.mark
        assignments = ", ".join(f"{column} = {mark.format(i)}" for i, column in enumerate(_WRITTEN, start=1))
        n = len(_WRITTEN)
        update = (
            f"UPDATE customers SET {assignments}, value_fit_id = {mark.format(n + 1)} WHERE id = {mark.format(n + 2)}"
        )
        rows = _rows(frame, fit.pk)
        for start in range(0, len(rows), WRITE_BATCH):
            await conn.execute_many(update, rows[start : start + WRITE_BATCH])
            if progress:
                progress(min(start + WRITE_BATCH, len(rows)), len(rows))
        # Customers scored before who no longer count (their orders were cancelled or deleted).
        await conn.execute_query(
            f"UPDATE customers SET value_fit_id = NULL, {_CLEARED} "
            f"WHERE value_fit_id IS NOT NULL AND value_fit_id <> {int(fit.pk)}"
        )
    return fit


def _rows(frame: pd.DataFrame, fit_id: int) -> list[list[Any]]:
    columns = [frame[source].to_list() for source in _WRITTEN.values()]
    rows = []
    for customer_id, *values in zip(frame.index.to_list(), *columns, strict=True):
        cleaned = [_plain(column, value) for column, value in zip(_WRITTEN, values, strict=True)]
        rows.append([*cleaned, fit_id, int(customer_id)])
    return rows


def _plain(column: str, value: Any) -> Any:
    if isinstance(value, float) and finite(value) is None:
        return 0.0 if column in _NOT_NULL else None
    if isinstance(value, np.generic):
        return value.item()
    return value


def bgnbd_of(fit: ValueFit) -> BGNBDParams | None:
    if fit.bgnbd_r is None or fit.bgnbd_alpha is None or fit.bgnbd_a is None or fit.bgnbd_b is None:
        return None
    return BGNBDParams(fit.bgnbd_r, fit.bgnbd_alpha, fit.bgnbd_a, fit.bgnbd_b)


def gamma_gamma_of(fit: ValueFit) -> GammaGammaParams | None:
    if fit.gg_p is None or fit.gg_q is None or fit.gg_gamma is None:
        return None
    return GammaGammaParams(fit.gg_p, fit.gg_q, fit.gg_gamma)


def _history(customer: Customer) -> tuple[float, float, float] | None:
    if customer.repeat_purchases is None or customer.recency_units is None or customer.age_units is None:
        return None
    return float(customer.repeat_purchases), customer.recency_units, customer.age_units


def expected_purchases_of(customer: Customer, fit: ValueFit, days: int) -> float | None:
    """E[purchases in the next `days` days] from the stored history and the fit; None when unscored."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidArgument("days", f"must be between 1 and {MAX_DAYS}")
    params, history = bgnbd_of(fit), _history(customer)
    if params is None or history is None:
        return None
    return finite(expected_purchases(params, days / fit.time_unit_days, *history))


def clv_of(customer: Customer, fit: ValueFit, months: int, monthly_discount_rate: float) -> float | None:
    """Discounted CLV over `months` from the stored history and the fit; None when unscored."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidArgument("months", f"must be between 1 and {MAX_MONTHS}")
    if not 0 <= monthly_discount_rate < 1:
        raise InvalidArgument("monthlyDiscountRate", "must be at least 0 and below 1")
    bg, gg, history = bgnbd_of(fit), gamma_gamma_of(fit), _history(customer)
    if bg is None or gg is None or history is None or customer.mean_repeat_value is None:
        return None
    x, t_x, T = history
    result = clv(
        bg,
        gg,
        [x],
        [t_x],
        [T],
        [customer.mean_repeat_value],
        months=months,
        monthly_discount_rate=monthly_discount_rate,
        time_unit_days=fit.time_unit_days,
    )
    return finite(result.values[0])
