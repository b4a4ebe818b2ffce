"""Demand forecasts with 80% and 95% prediction intervals, chosen by a rolling-origin backtest.

Candidates are seasonal naive (the baseline), ETS, Theta, a small SARIMAX and their equal-weight
combination; the lowest mean MASE over several origins wins, since one holdout window picks badly.
Empty, constant, short and intermittent histories get simple methods; the result says which and why.
Fits catch warnings with the process-global `warnings.catch_warnings`: forecast from one thread at a time.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from statistics import NormalDist

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.statespace.sarimax import SARIMAX

from crm_graphql.ml.series import default_season_length, future_index

logger = logging.getLogger(__name__)

Z80, Z95 = NormalDist().inv_cdf(0.90), NormalDist().inv_cdf(0.975)
MIN_FIT_POINTS = 10  # ETSModel's heuristic initialisation needs ten observations
MAX_ORIGINS = 3  # each origin refits every candidate: the main cost of a forecast
MAX_SARIMAX_SEASON = 24  # a seasonal SARIMAX with m=52 takes 1-1.5 s per fit
INTERMITTENT_ZERO_SHARE = 0.5  # above a weekday-only shop's 2/7 zero days, which are seasonal, not sparse
SBA_ALPHA = 0.1

BAND_ROWS = ("point", "lower_80", "upper_80", "lower_95", "upper_95")  # a band's rows; its columns are periods
Params = dict[str, object]
Accuracy = tuple[float, float, float, float]  # mean MASE, mean sMAPE, 80% coverage, 95% coverage


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin accuracy: MASE (scaled by in-sample seasonal naive error) and sMAPE in percent."""

    origins: int
    horizon: int
    mase: float
    smape: float
    coverage_80: float  # share of backtest actuals inside the chosen model's intervals
    coverage_95: float
    baseline_mase: float
    baseline_smape: float
    scores: dict[str, float]  # mean MASE of every candidate that fitted at every origin


@dataclass(frozen=True, eq=False)
class Forecast:
    """A forecast per future period (`frame`), the method that made it, why, and how it backtested."""

    method: str  # seasonal_naive, ets, theta, sarimax, combination, mean, naive, sba or zero
    model: str
    params: Params
    reason: str
    season_length: int
    frame: pd.DataFrame  # one row per future period, columns BAND_ROWS, never negative
    backtest: Backtest | None


def forecast(series: pd.Series, horizon: int, *, season_length: int | None = None) -> Forecast:
    """Forecast `horizon` periods after `series` (a regular series; missing values count as zero).

    The season defaults from the index frequency and is dropped when the history holds fewer than
    two full seasons. Never raises on short, all-zero, constant or intermittent histories.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, not {horizon}")
    y = series.fillna(0.0).to_numpy(dtype=float)
    m = season_length or default_season_length(series.index)
    m = m if len(y) >= 2 * m else 1
    task = _Task(y, horizon, m, future_index(series.index, horizon), *_origins(len(y), horizon, m))
    if not np.any(y):
        zero = _Candidate("Zero", "zero", lambda y, h: (np.zeros((len(BAND_ROWS), h)), {}))
        return _fixed(task, zero, "no demand in the history")
    if len(y) > 1 and np.all(y == y[0]):
        return _fixed(task, _seasonal_naive(1), "constant history: repeating the last value")
    if len(task.origins) < 2:
        return _short(task)
    if (zero_share := float(np.mean(y == 0))) > INTERMITTENT_ZERO_SHARE:
        reason = f"intermittent: {zero_share:.0%} of periods without demand"
        return _fixed(task, _Candidate("SBA", "sba", _sba), reason, backtested=True)
    return _select(task)


@dataclass(frozen=True)
class _Candidate:
    name: str
    method: str
    fit: Callable[[np.ndarray, int], tuple[np.ndarray, Params]]


@dataclass(frozen=True)
class _Task:
    y: np.ndarray
    horizon: int
    m: int
    index: pd.Index  # the future periods
    origins: list[int]  # backtest training lengths, oldest first
    bt_horizon: int

    def backtest(self, candidate: _Candidate) -> list[np.ndarray] | None:
        """The candidate's bands from every origin, or None if it fails at any."""
        fits = [_quiet_fit(candidate, self.y[:origin], self.bt_horizon) for origin in self.origins]
        bands = [fit[0] for fit in fits if fit is not None]
        return bands if len(bands) == len(fits) else None

    def result(self, chosen: _Candidate, fit: tuple[np.ndarray, Params], reason: str, bt: Backtest | None) -> Forecast:
        frame = pd.DataFrame(np.clip(fit[0], 0.0, None).T, index=self.index, columns=list(BAND_ROWS))
        return Forecast(chosen.method, chosen.name, fit[1], reason, self.m, frame, bt)


def _origins(n: int, horizon: int, m: int) -> tuple[list[int], int]:
    """Training lengths, oldest first: two seasons each if possible (for seasonal models), else one plus a point."""
    bt_horizon = max(1, min(horizon, n // 4))
    origins = [n - (i + 1) * bt_horizon for i in range(MAX_ORIGINS)][::-1]  # windows that do not overlap
    for earliest in (2 * m, m + 1):
        if len(kept := [o for o in origins if o >= max(MIN_FIT_POINTS, earliest)]) >= 2:
            return kept, bt_horizon
    return [], bt_horizon


def _candidates(shortest: int, m: int) -> list[_Candidate]:
    m = m if m > 1 and shortest >= 2 * m else 1
    form, season = ("A", f"[{m}]") if m > 1 else ("N", "")
    arima_m = m if m <= MAX_SARIMAX_SEASON else 1
    arima = f"SARIMAX(0,1,1)(0,1,1)[{arima_m}]" if arima_m > 1 else "SARIMAX(1,1,1) with drift"
    return [
        _Candidate(f"ETS(A,A,{form}){season}", "ets", partial(_ets, m=m, damped=False)),
        _Candidate(f"ETS(A,Ad,{form}){season}", "ets", partial(_ets, m=m, damped=True)),
        _Candidate(f"Theta{season}", "theta", partial(_theta, m=m)),
        _Candidate(arima, "sarimax", partial(_sarimax, m=arima_m, warm={})),
    ]


def _select(task: _Task) -> Forecast:
    """Score every candidate over the origins; the best one that also fits the whole history wins."""
    baseline, models = _seasonal_naive(task.m), _candidates(task.origins[0], task.m)
    bands = {c.name: b for c in [baseline, *models] if (b := task.backtest(c)) is not None}
    members = [c for c in models if c.name in bands]
    name = f"Combination({', '.join(c.name for c in members)})"
    combination = _Candidate(name, "combination", partial(_combine, members=members))
    if len(members) >= 2:
        bands[combination.name] = list(np.mean([bands[c.name] for c in members], axis=0))
    scored = [c for c in [baseline, *members, combination] if c.name in bands]
    accuracy = {c.name: _accuracy(task, bands[c.name]) for c in scored}
    for chosen in sorted(scored, key=lambda c: np.nan_to_num(accuracy[c.name][0], nan=np.inf)):  # ties: baseline
        if (fit := _quiet_fit(chosen, task.y, task.horizon)) is None:
            continue
        mase, base, k = accuracy[chosen.name][0], accuracy[baseline.name][0], len(task.origins)
        reason = f"lowest mean MASE over {k} rolling origins: {mase:.3f} ({baseline.name}: {base:.3f})"
        if chosen is baseline:
            reason = f"no model beat the {baseline.name} baseline over {k} rolling origins"
        return task.result(chosen, fit, reason, _backtest(task, accuracy, chosen, baseline))
    raise AssertionError("the seasonal naive baseline cannot fail on a history longer than its season")


def _fixed(task: _Task, method: _Candidate, reason: str, *, backtested: bool = False) -> Forecast:
    """A forecast by a fixed `method`, backtested against the baseline when asked and possible."""
    fit = _quiet_fit(method, task.y, task.horizon)
    assert fit is not None, f"{method.name} failed on {len(task.y)} points"
    baseline, backtest = _seasonal_naive(task.m), None
    if backtested and len(task.origins) >= 2:
        bands = {c.name: b for c in (method, baseline) if (b := task.backtest(c)) is not None}
        if len(bands) == 2:
            backtest = _backtest(task, {name: _accuracy(task, b) for name, b in bands.items()}, method, baseline)
    return task.result(method, fit, reason, backtest)


def _short(task: _Task) -> Forecast:
    """Too few points to backtest: the mean or the last value, whichever predicted the history better."""
    y, n = task.y, len(task.y)
    method = _Candidate("Mean", "mean", _mean)
    if n >= 4 and np.mean(np.abs(np.diff(y))) < np.mean(np.abs(y[1:] - np.cumsum(y)[:-1] / np.arange(1, n))):
        method = _seasonal_naive(1)
    return _fixed(task, method, f"too short to backtest ({n} points): {method.method} of the history")


def _quiet_fit(candidate: _Candidate, y: np.ndarray, horizon: int) -> tuple[np.ndarray, Params] | None:
    """Fit one candidate with warnings caught; None when it fails, does not converge or is not finite."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            band, params = candidate.fit(y, horizon)
        except Exception as exc:  # statsmodels raises ValueError, LinAlgError, ... on degenerate windows
            logger.debug("%s failed on %d points: %r", candidate.name, len(y), exc)
            return None
    for warning in caught:
        logger.debug("%s on %d points: %s: %s", candidate.name, len(y), warning.category.__name__, warning.message)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught) or not np.all(np.isfinite(band)):
        logger.debug("%s skipped on %d points: not converged or not finite", candidate.name, len(y))
        return None
    return band, params


def _accuracy(task: _Task, bands: list[np.ndarray]) -> Accuracy:
    """Accuracy of the clipped backtest forecasts; origins with a constant history have no MASE."""
    band = np.clip(np.array(bands), 0.0, None)  # origin x row x period
    actual = np.array([task.y[origin : origin + task.bt_horizon] for origin in task.origins])
    error, total = np.abs(actual - band[:, 0]), np.abs(actual) + band[:, 0]
    mase = error.mean(axis=1) / np.array([_scale(task.y[:origin], task.m) for origin in task.origins])
    smape = 200 * np.mean(np.divide(error, total, out=np.zeros_like(error), where=total > 0))
    mean_mase = float(np.mean(mase[finite])) if np.any(finite := np.isfinite(mase)) else np.nan
    inside_80, inside_95 = ((band[:, low] <= actual) & (actual <= band[:, low + 1]) for low in (1, 3))
    return mean_mase, float(smape), float(np.mean(inside_80)), float(np.mean(inside_95))


def _scale(train: np.ndarray, m: int) -> float:
    """In-sample mean absolute seasonal difference (plain difference if that is zero); NaN if constant."""
    for lag in (m, 1):
        if (scale := float(np.mean(np.abs(train[lag:] - train[:-lag])))) > 0:
            return scale
    return np.nan


def _backtest(task: _Task, accuracy: dict[str, Accuracy], chosen: _Candidate, baseline: _Candidate) -> Backtest:
    scores = {name: values[0] for name, values in accuracy.items()}
    return Backtest(len(task.origins), task.bt_horizon, *accuracy[chosen.name], *accuracy[baseline.name][:2], scores)


def _normal_band(point: np.ndarray, sd: np.ndarray) -> np.ndarray:
    point, sd = np.asarray(point, dtype=float), np.asarray(sd, dtype=float)
    return np.vstack([point, point - Z80 * sd, point + Z80 * sd, point - Z95 * sd, point + Z95 * sd])


def _seasonal_naive(m: int) -> _Candidate:
    name, method = ("Naive", "naive") if m == 1 else (f"SeasonalNaive[{m}]", "seasonal_naive")
    return _Candidate(name, method, partial(_repeat, m=m))


def _repeat(y: np.ndarray, h: int, *, m: int) -> tuple[np.ndarray, Params]:
    sigma = np.sqrt(np.mean((y[m:] - y[:-m]) ** 2))
    return _normal_band(np.resize(y[-m:], h), sigma * np.sqrt(np.arange(h) // m + 1)), {"season_length": m}


def _mean(y: np.ndarray, h: int) -> tuple[np.ndarray, Params]:
    sd = np.std(y, ddof=1) * np.sqrt(1 + 1 / len(y)) if len(y) > 1 else 0.0
    return _normal_band(np.full(h, np.mean(y)), np.full(h, sd)), {"mean": float(np.mean(y))}


def _sba(y: np.ndarray, h: int) -> tuple[np.ndarray, Params]:
    """Croston's method with the Syntetos-Boylan correction; intervals from P(demand) and the sizes seen."""
    when = np.flatnonzero(y > 0)
    sizes, gaps = y[when], np.diff(when, prepend=-1)
    size, gap = float(sizes[0]), float(gaps[0])
    for s, g in zip(sizes[1:], gaps[1:], strict=True):
        size, gap = size + SBA_ALPHA * (s - size), gap + SBA_ALPHA * (g - gap)
    rate, chance = (1 - SBA_ALPHA / 2) * size / gap, 1 / gap  # gaps are at least one period
    levels = np.array([0.1, 0.9, 0.025, 0.975])  # one period's demand: zero, or one of the sizes seen
    bounds = np.where(levels <= 1 - chance, 0.0, np.quantile(sizes, np.clip((levels - 1 + chance) / chance, 0, 1)))
    band = np.vstack([np.full(h, rate), *(np.full(h, b) for b in bounds)])
    return band, {"alpha": SBA_ALPHA, "size": float(size), "interval": float(gap), "rate": float(rate)}


def _ets(y: np.ndarray, h: int, *, m: int, damped: bool) -> tuple[np.ndarray, Params]:
    # On a Series: get_prediction fails for models built on arrays (statsmodels 0.15). Estimating the
    # initial states instead of the heuristic is 10-50x slower with a season.
    season = {"seasonal": "add", "seasonal_periods": m} if m > 1 else {}
    result = ETSModel(
        pd.Series(y), error="add", trend="add", damped_trend=damped, initialization_method="heuristic", **season
    ).fit(disp=False)
    prediction = result.get_prediction(start=len(y), end=len(y) + h - 1)
    params: Params = dict(zip(result.param_names, map(float, result.params), strict=True))
    return _normal_band(prediction.predicted_mean, np.sqrt(prediction.forecast_variance)), params


def _theta(y: np.ndarray, h: int, *, m: int) -> tuple[np.ndarray, Params]:
    result = ThetaModel(pd.Series(y), period=m, deseasonalize=m > 1, method="additive").fit()
    point = result.forecast(h).to_numpy()
    upper = result.prediction_intervals(h, alpha=0.05)["upper"].to_numpy()
    params: Params = {**{name: float(value) for name, value in result.params.items()}, "theta": 2.0}
    return _normal_band(point, (upper - point) / Z95), params


def _sarimax(y: np.ndarray, h: int, *, m: int, warm: dict[str, np.ndarray]) -> tuple[np.ndarray, Params]:
    """The airline model with a season, else ARIMA(1,1,1) with drift; `warm` carries estimates between fits."""
    spec = {"order": (0, 1, 1), "seasonal_order": (0, 1, 1, m)} if m > 1 else {"order": (1, 1, 1), "trend": "t"}
    model = SARIMAX(pd.Series(y), concentrate_scale=True, **spec)
    # No parameter covariances (a numerical Hessian); start from the previous origin's estimates.
    result = model.fit(disp=False, cov_type="none", start_params=warm.get("params"))
    warm["params"], prediction = result.params, result.get_forecast(h)
    params: Params = {**{name: float(value) for name, value in result.params.items()}, "sigma2": float(result.scale)}
    return _normal_band(prediction.predicted_mean, np.sqrt(prediction.var_pred_mean)), params


def _combine(y: np.ndarray, h: int, *, members: list[_Candidate]) -> tuple[np.ndarray, Params]:
    """Equal weights on points and on bounds (quantile averaging); needs two members that fit."""
    fits = {c.name: fit for c in members if (fit := _quiet_fit(c, y, h)) is not None}
    if len(fits) < 2:
        raise ValueError("fewer than two members fitted")
    return np.mean([band for band, _ in fits.values()], axis=0), {"members": list(fits)}
