"""Customer value models against the published CDNOW figures, and RFM scores on hand-made inputs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from crm_graphql.ml.rfm import SEGMENTS, rfm_scores
from crm_graphql.ml.scoring import ValueScores, score_customers
from crm_graphql.ml.value import (
    BGNBDParams,
    GammaGammaParams,
    clv,
    expected_order_value,
    expected_purchases,
    expected_purchases_unconditional,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    summarize,
)

CDNOW = Path(__file__).parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = "1997-09-30"

# Fader, Hardie & Lee (2005) and Fader & Hardie's Gamma-Gamma note, via tests/data/cdnow/README.md.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_GG_LL = -4055.92  # shared/notes/analytics.md


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW, sep=r"\s+", header=None, names=["master_id", "customer", "date", "cds", "amount"], dtype={"date": str}
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


def calibration_summary(transactions: pd.DataFrame, time_unit_days: float = 7.0) -> pd.DataFrame:
    return summarize(
        transactions["customer"],
        transactions["date"],
        transactions["amount"],
        observation_end=CALIBRATION_END,
        time_unit_days=time_unit_days,
    )


@pytest.fixture(scope="module")
def summary(transactions: pd.DataFrame) -> pd.DataFrame:
    return calibration_summary(transactions)


@pytest.fixture(scope="module")
def bgnbd(summary: pd.DataFrame) -> BGNBDParams:
    return fit_bgnbd(summary["x"], summary["t_x"], summary["T"])


@pytest.fixture(scope="module")
def gg(summary: pd.DataFrame) -> GammaGammaParams:
    return fit_gamma_gamma(summary["x"], summary["mean_value"])


def test_summary_of_cdnow_matches_the_published_calibration_data(
    transactions: pd.DataFrame, summary: pd.DataFrame
) -> None:
    assert len(summary) == 2357
    assert (summary["x"] > 0).sum() == 946
    first, sixth = summary.loc[1], summary.loc[6]
    assert (first["x"], first["t_x"], first["T"]) == pytest.approx((2, 30.43, 38.86), abs=0.005)
    assert first["mean_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert (sixth["x"], sixth["t_x"], sixth["mean_value"]) == pytest.approx((7, 29.43, 73.74), abs=0.005)
    whole_period = summarize(
        transactions["customer"], transactions["date"], transactions["amount"], observation_end="1998-06-30"
    )
    assert whole_period["x"].sum() == 4339  # the published actual repeat transactions to week 78


def test_bgnbd_fit_reproduces_the_published_parameters(bgnbd: BGNBDParams) -> None:
    fitted = {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b}
    assert fitted == pytest.approx(PUBLISHED_BGNBD, rel=0.01)
    assert bgnbd.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.5)
    assert bgnbd.converged
    assert bgnbd.n_customers == 2357
    assert all(0 < se < estimate for se, estimate in zip(bgnbd.standard_errors, fitted.values(), strict=True))


def test_gamma_gamma_fit_reproduces_the_published_parameters(gg: GammaGammaParams) -> None:
    assert {"p": gg.p, "q": gg.q, "gamma": gg.gamma} == pytest.approx(PUBLISHED_GG, rel=0.01)
    assert gg.log_likelihood == pytest.approx(PUBLISHED_GG_LL, abs=0.5)
    assert gg.converged
    assert gg.n_customers == 946


def test_bgnbd_fit_in_days_is_the_fit_in_weeks_rescaled(transactions: pd.DataFrame, bgnbd: BGNBDParams) -> None:
    daily = calibration_summary(transactions, time_unit_days=1)
    in_days = fit_bgnbd(daily["x"], daily["t_x"], daily["T"])
    assert (in_days.r, in_days.alpha / 7, in_days.a, in_days.b) == pytest.approx(
        (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b), rel=1e-4
    )


def test_conditional_expectation_matches_hardies_spreadsheet(bgnbd: BGNBDParams) -> None:
    assert expected_purchases(bgnbd, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=1e-3)


def test_p_alive_of_sample_customers_1_and_6(bgnbd: BGNBDParams, summary: pd.DataFrame) -> None:
    rows = summary.loc[[1, 6]]
    assert p_alive(bgnbd, rows["x"], rows["t_x"], rows["T"]) == pytest.approx([0.727, 0.642], abs=1e-3)


def test_p_alive_is_one_without_repeat_purchases(bgnbd: BGNBDParams) -> None:
    assert p_alive(bgnbd, [0, 0], [0, 0], [1, 50]) == pytest.approx([1, 1])


def test_unconditional_expectation_at_week_78(bgnbd: BGNBDParams) -> None:
    assert expected_purchases_unconditional(bgnbd, 78) == pytest.approx(1.8576, abs=1e-3)


def test_cumulative_repeat_transactions_to_week_78(bgnbd: BGNBDParams, summary: pd.DataFrame) -> None:
    # Hardie's tracking plot: the 39-week calibration ends at week 39, so a customer whose age is
    # T there made the first purchase at week 39 - T and has 78 - (39 - T) weeks to week 78.
    horizon = summary["T"].to_numpy() + 39
    assert expected_purchases_unconditional(bgnbd, horizon).sum() == pytest.approx(4160.6, abs=1)


def textbook_expected_purchases(params: BGNBDParams, t: float, x: int, t_x: float, T: float) -> float:
    """FHL 2005 eq. 10 as printed; overflows for heavy buyers, fine for these."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return float((a + b + x - 1) / (a - 1) * body / (1 + odds))


@pytest.mark.parametrize(
    ("params", "t", "x", "t_x", "T"),
    [
        (BGNBDParams(0.243, 4.414, 0.793, 2.426), 52, 0, 0, 20),
        (BGNBDParams(0.243, 4.414, 0.793, 2.426), 10, 12, 35, 38),
        (BGNBDParams(1.5, 20, 2.5, 8), 100, 3, 5, 90),
        (BGNBDParams(0.3, 1.0, 0.2, 0.4), 5, 25, 9.5, 10),
    ],
)
def test_conditional_expectation_equals_the_textbook_formula(
    params: BGNBDParams, t: float, x: int, t_x: float, T: float
) -> None:
    assert expected_purchases(params, t, x, t_x, T) == pytest.approx(textbook_expected_purchases(params, t, x, t_x, T))


def test_conditional_expectation_stays_finite_for_heavy_buyers(bgnbd: BGNBDParams) -> None:
    heavy = expected_purchases(bgnbd, 52, [500, 2000, 5000], [38.8, 38.8, 38.8], [38.86, 38.86, 38.86])
    assert np.isfinite(heavy).all()
    assert (heavy > 0).all()


def test_expected_purchases_broadcasts_over_horizons(bgnbd: BGNBDParams) -> None:
    grid = expected_purchases(bgnbd, np.array([[0.0], [10.0], [20.0]]), [0, 3], [0, 20], [30, 30])
    assert grid.shape == (3, 2)
    assert grid[0] == pytest.approx([0, 0])
    assert (np.diff(grid, axis=0) > 0).all()


def test_expected_order_value_of_the_first_customers(gg: GammaGammaParams, summary: pd.DataFrame) -> None:
    first = summary.loc[[1, 2, 3]]
    assert expected_order_value(gg, first["x"], first["mean_value"]) == pytest.approx([24.65, 18.91, 35.17], abs=0.01)
    assert expected_order_value(gg, 0, 999.0) == pytest.approx(gg.p * gg.gamma / (gg.q - 1))


def test_expected_order_value_needs_a_finite_population_mean() -> None:
    with pytest.raises(ValueError, match="infinite"):
        expected_order_value(GammaGammaParams(2.0, 0.9, 10.0), [1], [20.0])


def test_clv_of_customer_1_with_weeks_converted_to_months(
    bgnbd: BGNBDParams, gg: GammaGammaParams, summary: pd.DataFrame
) -> None:
    first = summary.loc[[1]]
    result = clv(
        bgnbd, gg, first["x"], first["t_x"], first["T"], first["mean_value"], months=12, monthly_discount_rate=0.01
    )
    assert result.values == pytest.approx([36.3], abs=0.1)
    assert (result.months, result.monthly_discount_rate, result.time_unit_days, result.margin) == (12, 0.01, 7.0, 1.0)


def test_clv_does_not_depend_on_the_time_unit(
    transactions: pd.DataFrame, bgnbd: BGNBDParams, gg: GammaGammaParams, summary: pd.DataFrame
) -> None:
    daily = calibration_summary(transactions, time_unit_days=1)
    in_days = fit_bgnbd(daily["x"], daily["t_x"], daily["T"])
    weekly_clv = clv(
        bgnbd,
        gg,
        summary["x"],
        summary["t_x"],
        summary["T"],
        summary["mean_value"],
        months=24,
        monthly_discount_rate=0.01,
    )
    daily_clv = clv(
        in_days,
        gg,
        daily["x"],
        daily["t_x"],
        daily["T"],
        daily["mean_value"],
        months=24,
        monthly_discount_rate=0.01,
        time_unit_days=1,
    )
    assert daily_clv.values == pytest.approx(weekly_clv.values, rel=1e-3)


def test_clv_is_the_discounted_sum_of_monthly_value(bgnbd: BGNBDParams, gg: GammaGammaParams) -> None:
    month = 365.25 / 12 / 7
    history = ([3], [20.0], [30.0], [40.0])
    per_month = np.diff(expected_purchases(bgnbd, [0, month, 2 * month], *history[:3]))
    value = expected_order_value(gg, [3], [40.0])[0]
    expected = 0.3 * value * (per_month[0] / 1.02 + per_month[1] / 1.02**2)
    result = clv(bgnbd, gg, *history, months=2, monthly_discount_rate=0.02, margin=0.3)
    assert result.values == pytest.approx([expected])


def test_summarize_merges_same_day_purchases_and_ignores_later_ones() -> None:
    dates: list[date | str] = [
        "2024-01-01",
        date(2024, 1, 1),
        "2024-01-01 18:30",
        "2024-01-15",
        "2024-03-01",
        "2024-02-01",
    ]
    summary = summarize(
        ["b", "a", "a", "a", "a", "b"],
        dates,
        [10.0, 5.0, 7.0, 30.0, 99.0, 20.0],
        observation_end="2024-01-29",
        time_unit_days=7,
    )
    assert list(summary.index) == ["a", "b"]
    assert summary.loc["a"].to_dict() == {"x": 1, "t_x": 2.0, "T": 4.0, "mean_value": 30.0}
    assert summary.loc["b"].to_dict() == {"x": 0, "t_x": 0.0, "T": 4.0, "mean_value": 0.0}


def test_summarize_without_transactions_in_the_window() -> None:
    with pytest.raises(ValueError, match="no transactions"):
        summarize([1], ["2024-05-01"], [10.0], observation_end="2024-01-01")


def test_only_single_purchases_give_a_clear_error() -> None:
    summary = summarize(
        [1, 2, 3], ["2024-01-01", "2024-01-05", "2024-02-01"], [5.0, 6.0, 7.0], observation_end="2024-03-01"
    )
    with pytest.raises(ValueError, match="repeat purchase"):
        fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    with pytest.raises(ValueError, match="repeat purchase"):
        fit_gamma_gamma(summary["x"], summary["mean_value"])


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([], [], [], "non-empty"),
        ([1, 2], [1], [2, 3], "one length"),
        ([1.5], [1], [2], "whole numbers"),
        ([-1], [0], [2], "whole numbers"),
        ([1], [3], [2], "t_x <= T"),
        ([1], [np.nan], [2], "finite"),
    ],
)
def test_bgnbd_rejects_impossible_histories(x: list[float], t_x: list[float], T: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(x, t_x, T)


def test_gamma_gamma_rejects_non_positive_spend() -> None:
    with pytest.raises(ValueError, match="positive"):
        fit_gamma_gamma([1, 2], [10.0, -5.0])


def test_rfm_quintiles_of_ten_distinct_values() -> None:
    scores = rfm_scores(np.arange(10), np.arange(10), np.arange(10))
    assert list(scores["f"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(scores["r"]) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # fewer days since the last purchase is better


def test_rfm_ties_share_a_score() -> None:
    scores = rfm_scores([1, 1, 1, 1, 9, 9], [1, 2, 2, 2, 2, 3], [5, 5, 5, 5, 5, 5])
    assert scores["r"].nunique() == 2
    assert scores["f"].iloc[1:5].nunique() == 1
    assert set(scores["m"]) == {3}  # no spread: the middle score


def test_rfm_with_fewer_than_five_distinct_values() -> None:
    scores = rfm_scores([3, 30], [1, 4], [10.0, 200.0])
    assert list(scores["r"]) == [4, 2]
    assert list(scores["f"]) == [2, 4]


def test_rfm_single_customer_is_in_the_middle() -> None:
    scores = rfm_scores([12], [2], [40.0])
    assert scores.iloc[0][["r", "f", "m"]].tolist() == [3, 3, 3]
    assert scores.iloc[0]["segment"] == "need attention"


def test_rfm_segments_keep_the_index() -> None:
    index = pd.Index(["best", "gone", "lapsed big spender", "recent small"], name="customer")
    recency = pd.Series([1, 400, 390, 2], index=index)
    frequency = pd.Series([50, 1, 40, 1], index=index)
    monetary = pd.Series([900.0, 5.0, 800.0, 6.0], index=index)
    scores = rfm_scores(recency, frequency, monetary)
    assert scores.index.equals(index)
    assert scores["r"].tolist() == [5, 1, 2, 4]
    assert scores["segment"].tolist() == ["champions", "lost", "at risk", "potential loyalists"]


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 4, "champions"),
        (5, 1, 1, "new"),
        (4, 1, 1, "promising"),
        (3, 3, 3, "need attention"),
        (2, 5, 5, "can't lose them"),
        (1, 4, 3, "at risk"),
        (2, 2, 1, "hibernating"),
        (1, 1, 3, "lost"),
        (3, 4, 5, "loyal"),
        (4, 2, 3, "potential loyalists"),
    ],
)
def test_rfm_segment_grid(r: int, f: int, m: int, segment: str) -> None:
    # Five customers, one per score on each axis; the first one gets scores (r, f, m).
    scores = rfm_scores(*(np.roll(np.arange(5), 1 - k) for k in (6 - r, f, m)))
    assert scores.iloc[0][["r", "f", "m"]].tolist() == [r, f, m]
    assert scores.iloc[0]["segment"] == segment


def test_rfm_every_segment_is_reachable() -> None:
    r, f, m = (axis.ravel() for axis in np.meshgrid(*[np.arange(5)] * 3, indexing="ij"))
    scores = rfm_scores(r, f, m)  # 25 customers at each score on each axis
    assert set(scores["segment"]) == set(SEGMENTS)
    assert list(scores["segment"].cat.categories) == list(SEGMENTS)


def test_rfm_rejects_missing_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        rfm_scores([1, np.nan], [1, 2], [3, 4])
    with pytest.raises(ValueError, match="at least one"):
        rfm_scores([], [], [])


@pytest.fixture(scope="module")
def scores(transactions: pd.DataFrame) -> ValueScores:
    """CDNOW scored through `score_customers`: the path the API's refresh takes."""
    return score_customers(
        transactions["customer"], transactions["date"], transactions["amount"], observation_end=date(1997, 9, 30)
    )


def test_scoring_fits_the_published_parameters_on_the_apis_path(scores: ValueScores) -> None:
    bg, spend = scores.bgnbd, scores.gamma_gamma
    assert bg is not None and spend is not None
    assert {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b} == pytest.approx(PUBLISHED_BGNBD, rel=0.01)
    assert bg.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.5)
    assert {"p": spend.p, "q": spend.q, "gamma": spend.gamma} == pytest.approx(PUBLISHED_GG, rel=0.01)
    assert spend.log_likelihood == pytest.approx(PUBLISHED_GG_LL, abs=0.5)
    assert scores.notes == ()


def test_scoring_gives_every_customer_the_published_scores(scores: ValueScores) -> None:
    frame = scores.customers
    assert len(frame) == 2357
    assert frame.loc[[1, 6], "p_alive"].to_list() == pytest.approx([0.727, 0.642], abs=1e-3)
    assert frame.loc[1, "clv"] == pytest.approx(36.3, abs=0.1)
    one_timers = frame[frame["x"] == 0]
    assert (one_timers["p_alive"] == 1).all()
    assert one_timers["expected_order_value"].to_numpy() == pytest.approx(35.17, abs=0.01)
    assert set(frame["rfm_segment"]) <= set(SEGMENTS)
    assert (frame["purchase_days"] == frame["x"] + 1).all()


def test_scoring_without_repeat_buyers_keeps_rfm_and_says_why() -> None:
    result = score_customers(
        [1, 2, 3], ["2026-01-05", "2026-02-01", "2026-03-01"], [10, 20, 30], observation_end=date(2026, 3, 31)
    )
    assert result.bgnbd is None and result.gamma_gamma is None
    assert any("BG/NBD not fitted" in note for note in result.notes)
    assert result.customers["clv"].isna().all()
    assert result.customers["rfm_r"].to_list() == [1, 3, 5]
    assert result.customers["total_spend"].to_list() == [10, 20, 30]


def test_expected_purchases_without_dropout_heterogeneity_tends_to_the_point_mass_limit() -> None:
    # a, b beyond POINT_MASS_SHAPE (as fits on data without churn give) against the exact formula just below it.
    history = ([0, 3, 9], [0.0, 10.0, 30.0], [20.0, 25.0, 40.0])
    near = expected_purchases(BGNBDParams(0.7, 2.3, 5e4, 3e5), 13, *history)
    limit = expected_purchases(BGNBDParams(0.7, 2.3, 5e6, 3e7), 13, *history)
    assert np.isfinite(limit).all()
    assert limit == pytest.approx(near, rel=1e-3)
