"""Value scores for every customer at once: RFM, BG/NBD and Gamma-Gamma from one transaction log.

This is the one path the API's refresh and the CDNOW validation share. A model that cannot be
fitted on the data (no repeat buyers, an infinite mean spend) leaves its scores missing (NaN)
and says why in `note`; RFM always works.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from crm_graphql.ml.rfm import rfm_scores
from crm_graphql.ml.value import (
    BGNBDParams,
    GammaGammaParams,
    clv,
    expected_order_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    summarize,
)

P = TypeVar("P", BGNBDParams, GammaGammaParams)

COLUMNS = (
    "purchase_days",
    "last_purchase_on",
    "total_spend",
    "x",
    "t_x",
    "T",
    "mean_value",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "clv",
)


@dataclass(frozen=True)
class ScoringAssumptions:
    """The units and horizons the stored scores are computed in."""

    time_unit_days: float = 7.0
    horizon_days: int = 90
    clv_months: int = 12
    monthly_discount_rate: float = 0.01


@dataclass(frozen=True, eq=False)
class ValueScores:
    """One row per customer (index: customer id, columns: COLUMNS) and the fits behind them."""

    customers: pd.DataFrame
    bgnbd: BGNBDParams | None
    gamma_gamma: GammaGammaParams | None
    observation_end: date
    assumptions: ScoringAssumptions
    fit_seconds: float
    notes: tuple[str, ...]


def score_customers(
    customer_ids: npt.ArrayLike,
    days: npt.ArrayLike,
    amounts: npt.ArrayLike,
    *,
    observation_end: date,
    assumptions: ScoringAssumptions | None = None,
) -> ValueScores:
    """Scores of every customer with a purchase on or before `observation_end`.

    `days` are purchase days (one row per customer and day, or several to be summed); amounts are
    added as given, whatever their currency.
    """
    assumptions = assumptions or ScoringAssumptions()
    history = summarize(
        customer_ids, days, amounts, observation_end=observation_end, time_unit_days=assumptions.time_unit_days
    )
    log = pd.DataFrame({"customer": customer_ids, "day": pd.DatetimeIndex(days).normalize(), "amount": amounts})
    log = log[log["day"] <= pd.Timestamp(observation_end)]
    per_customer = log.groupby("customer", sort=True)
    frame = history.assign(
        purchase_days=history["x"] + 1,
        last_purchase_on=per_customer["day"].max().dt.date,
        total_spend=per_customer["amount"].sum().astype(float),
    )
    recency_days = (pd.Timestamp(observation_end) - per_customer["day"].max()).dt.days
    rfm = rfm_scores(recency_days, frame["purchase_days"], frame["total_spend"])
    frame = frame.assign(rfm_r=rfm["r"], rfm_f=rfm["f"], rfm_m=rfm["m"], rfm_segment=rfm["segment"].astype(str))

    started = time.perf_counter()
    notes: list[str] = []
    bgnbd = _fit(notes, "BG/NBD", lambda: fit_bgnbd(frame["x"], frame["t_x"], frame["T"]))
    gamma_gamma = _fit(notes, "Gamma-Gamma", lambda: fit_gamma_gamma(frame["x"], frame["mean_value"]))
    if gamma_gamma is not None and gamma_gamma.q <= 1:
        notes.append("Gamma-Gamma: q <= 1, so the mean spend is infinite; no order values or CLV")
        gamma_gamma = None
    fit_seconds = time.perf_counter() - started
    for fitted, name in ((bgnbd, "BG/NBD"), (gamma_gamma, "Gamma-Gamma")):
        if fitted is not None and not fitted.converged:
            notes.append(f"{name} did not converge to an interior maximum: use its figures with care")

    nan = np.full(len(frame), np.nan)
    x, t_x, T, mean_value = (frame[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "mean_value"))
    alive = p_alive(bgnbd, x, t_x, T) if bgnbd else nan
    horizon = assumptions.horizon_days / assumptions.time_unit_days
    purchases = expected_purchases(bgnbd, horizon, x, t_x, T) if bgnbd else nan
    order_value = expected_order_value(gamma_gamma, x, mean_value) if gamma_gamma else nan
    lifetime = nan
    if bgnbd and gamma_gamma:
        lifetime = clv(
            bgnbd,
            gamma_gamma,
            x,
            t_x,
            T,
            mean_value,
            months=assumptions.clv_months,
            monthly_discount_rate=assumptions.monthly_discount_rate,
            time_unit_days=assumptions.time_unit_days,
        ).values
    frame = frame.assign(p_alive=alive, expected_purchases=purchases, expected_order_value=order_value, clv=lifetime)
    return ValueScores(
        frame[list(COLUMNS)], bgnbd, gamma_gamma, observation_end, assumptions, fit_seconds, tuple(notes)
    )


def _fit(notes: list[str], name: str, fit: Callable[[], P]) -> P | None:
    try:
        return fit()
    except ValueError as error:
        notes.append(f"{name} not fitted: {error}")
        return None
