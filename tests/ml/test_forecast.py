"""Demand forecasts: model choice against seasonal naive, interval coverage, fallbacks, regular series."""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from crm_graphql.ml.forecast import BAND_ROWS, Forecast, forecast
from crm_graphql.ml.series import regular_series

Holdout = tuple[Forecast, np.ndarray, np.ndarray]  # the forecast, the held-out actuals, seasonal naive's forecast


def seasonal_series(n: int, *, season: int, freq: str, slope: float, seed: int) -> pd.Series:
    """Level 100 plus a linear trend, a sine season of amplitude 10 and N(0, 4^2) noise."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 4, n)
    values = 100 + slope * t + 10 * np.sin(2 * np.pi * t / season) + noise
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=n, freq=freq, tz="UTC"))


def holdout(n: int, horizon: int, *, season: int, freq: str, slope: float, seed: int, pass_season: bool) -> Holdout:
    series = seasonal_series(n + horizon, season=season, freq=freq, slope=slope, seed=seed)
    history = series.iloc[:n]
    result = forecast(history, horizon, season_length=season if pass_season else None)
    return result, series.iloc[n:].to_numpy(), np.resize(history.to_numpy()[-season:], horizon)


@pytest.fixture(scope="module")
def daily() -> list[Holdout]:
    """12 weeks of daily demand with a weekly season (taken from the index), two weeks held out, 30 seeds."""
    return [holdout(84, 14, season=7, freq="D", slope=0.5, seed=seed, pass_season=False) for seed in range(30)]


@pytest.fixture(scope="module")
def weekly() -> list[Holdout]:
    """18 months of weekly demand with a 13-week cycle, a quarter held out, 8 seeds."""
    return [holdout(78, 13, season=13, freq="W-MON", slope=0.3, seed=seed, pass_season=True) for seed in range(8)]


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


@pytest.mark.parametrize("scenario", ["daily", "weekly"])
def test_chosen_model_beats_seasonal_naive_on_the_held_out_tail(scenario: str, request: pytest.FixtureRequest) -> None:
    holdouts: list[Holdout] = request.getfixturevalue(scenario)
    ratios = np.array([mae(actual, f.frame["point"].to_numpy()) / mae(actual, naive) for f, actual, naive in holdouts])
    assert np.mean(ratios) < 0.8
    assert np.mean(ratios < 1) >= 0.75
    for f, _, _ in holdouts:
        assert f.method in {"ets", "theta", "sarimax", "combination", "seasonal_naive"}
        assert f.backtest is not None and f.backtest.origins >= 3
        assert f.backtest.mase < f.backtest.baseline_mase  # trend plus noise: seasonal naive is beatable
        assert "rolling origins" in f.reason


def test_intervals_cover_held_out_points_near_their_nominal_rate(daily: list[Holdout]) -> None:
    inside_80, inside_95 = [], []
    for f, actual, _ in daily:
        inside_80.extend((f.frame["lower_80"] <= actual) & (actual <= f.frame["upper_80"]))
        inside_95.extend((f.frame["lower_95"] <= actual) & (actual <= f.frame["upper_95"]))
    assert 0.70 <= np.mean(inside_80) <= 0.90
    assert 0.88 <= np.mean(inside_95) <= 0.995


def test_result_describes_model_backtest_and_future_periods(daily: list[Holdout]) -> None:
    f = daily[0][0]
    assert f.season_length == 7
    assert list(f.frame.columns) == list(BAND_ROWS)
    assert f.frame.index[0] == pd.Timestamp("2024-03-25", tz="UTC")  # the day after the 84-day history
    assert len(f.frame) == 14 and f.frame.index.freqstr == "D"
    assert isinstance(f.params, dict) and f.params and f.model
    backtest = f.backtest
    assert backtest is not None
    assert backtest.horizon == 14
    assert all(np.isfinite([backtest.mase, backtest.smape, backtest.baseline_mase, backtest.baseline_smape]))
    assert 0 < backtest.smape < backtest.baseline_smape
    assert "SeasonalNaive[7]" in backtest.scores and f.model in backtest.scores


def test_forecast_near_zero_is_clipped_and_fit_warnings_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crm_graphql.ml.forecast")
    t = np.arange(80)
    values = np.maximum(0.0, 30 - 0.4 * t + np.random.default_rng(1).normal(0, 2, 80))  # sales dying out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = forecast(pd.Series(values), 20)
    assert caught == []  # statsmodels' warnings (here about SARIMAX starting values) go to the DEBUG log
    assert any("Warning" in record.getMessage() for record in caplog.records)
    frame = result.frame.to_numpy()
    assert (frame >= 0).all()
    assert (np.diff(frame[:, [3, 1, 0, 2, 4]], axis=1) >= 0).all()  # lower 95 <= lower 80 <= point <= ...
    assert frame[-1, 0] < 5


@pytest.mark.parametrize(
    ("values", "method", "reason"),
    [
        ([5.0, 7.0, 6.0], "mean", "too short"),
        ([4.0], "mean", "too short"),
        ([], "zero", "no demand"),
        ([0.0] * 40, "zero", "no demand"),
        ([3.0] * 40, "naive", "constant"),
    ],
)
def test_degenerate_histories_get_a_simple_method(values: list[float], method: str, reason: str) -> None:
    index = pd.date_range("2024-01-01", periods=len(values), freq="W-MON", tz="UTC")
    result = forecast(pd.Series(values, index=index, dtype=float), 6)
    assert (result.method, result.backtest) == (method, None)
    assert reason in result.reason
    assert len(result.frame) == 6 and (result.frame.to_numpy() >= 0).all()
    expected = np.mean(values) if values else 0.0
    np.testing.assert_allclose(result.frame["point"], expected)
    if method != "mean":
        np.testing.assert_allclose(result.frame["upper_95"], expected)  # no variation seen, none forecast


def test_intermittent_demand_gets_sba_with_a_backtest() -> None:
    rng = np.random.default_rng(3)
    values = np.where(rng.random(60) < 0.25, rng.integers(1, 6, 60), 0).astype(float)
    result = forecast(pd.Series(values), 8)
    assert result.method == "sba" and "intermittent" in result.reason
    point = result.frame["point"].to_numpy()
    assert 0 < point[0] < values.max() and np.allclose(point, point[0])
    assert (result.frame["lower_95"] == 0).all() and (result.frame["upper_95"] >= result.frame["point"]).all()
    assert result.backtest is not None and np.isfinite(result.backtest.mase)


def test_season_is_dropped_when_the_history_is_shorter_than_two_seasons() -> None:
    series = seasonal_series(60, season=13, freq="W-MON", slope=0.3, seed=0)  # weekly: yearly season by default
    result = forecast(series, 4)
    assert result.season_length == 1 and result.backtest is not None
    assert "Naive" in result.backtest.scores  # the baseline without a season


def test_regular_series_fills_gaps_and_starts_weeks_on_monday_utc() -> None:
    dates = [
        datetime(2024, 1, 3, 12, tzinfo=UTC),  # Wednesday: the week of Monday 1 January
        "2024-01-17T23:30:00-02:00",  # Thursday 18 January in UTC: the week of 15 January
        pd.Timestamp("2024-01-15"),  # naive: taken as UTC
        datetime(2024, 1, 14, 23, 59),  # Sunday: still the week of 8 January
    ]
    series = regular_series(dates, [2, 3, 4, 1], granularity="week", end="2024-02-01")
    assert series.index.strftime("%m-%d").tolist() == ["01-01", "01-08", "01-15", "01-22", "01-29"]
    assert (series.index.day_of_week == 0).all() and str(series.index.tz) == "UTC"
    assert series.tolist() == [2.0, 1.0, 7.0, 0.0, 0.0]  # trailing weeks up to `end` count as zero demand
    assert forecast(series, 2).frame.index[0] == pd.Timestamp("2024-02-05", tz="UTC")


def test_regular_series_days_months_and_ranges() -> None:
    days = regular_series(["2024-03-01", "2024-03-04", "2024-03-04"], [1, 2, 3], granularity="day")
    assert days.tolist() == [1.0, 0.0, 0.0, 5.0] and days.index.freqstr == "D"
    months = regular_series(["2024-01-31", "2024-03-01"], [1, 1], granularity="month", start="2023-12-15")
    assert list(months.index.strftime("%Y-%m-%d")) == ["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]
    assert months.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert regular_series([], [], granularity="week").empty
    assert regular_series([], [], granularity="day", start="2024-01-01", end="2024-01-03").tolist() == [0.0] * 3
    with pytest.raises(ValueError, match="granularity"):
        regular_series([], [], granularity="year")  # type: ignore[arg-type]
