"""Customer value: the RFM summary, BG/NBD, Gamma-Gamma and discounted CLV.

Durations (t_x, T, horizons) are in one time unit chosen by the caller in `summarize`, weeks by
default; the fitted BG/NBD `alpha` is in that unit too, so fit and score in the same unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.tools.numdiff import approx_fprime

FloatArray = npt.NDArray[np.float64]
Rows = Callable[[FloatArray], FloatArray]  # parameters -> one value (or gradient row) per data row

DAYS_PER_MONTH = 365.25 / 12
POINT_MASS_SHAPE = 1e5  # beyond this a and b are a point mass to within about x / a (1e-5 relative)


def summarize(
    customer_ids: npt.ArrayLike,
    dates: npt.ArrayLike | Sequence[date | str],
    amounts: npt.ArrayLike,
    *,
    observation_end: date | datetime | str,
    time_unit_days: float = 7.0,
) -> pd.DataFrame:
    """Per customer (index): repeat transactions x, recency t_x, age T and mean repeat value.

    Purchases on one day are one transaction; those after `observation_end` are ignored. t_x and T
    count from the first purchase, in units of `time_unit_days`. mean_value is 0 when x = 0.
    """
    end = pd.Timestamp(observation_end).normalize()
    days = pd.DatetimeIndex(dates).normalize()
    tx = pd.DataFrame({"customer": customer_ids, "day": days, "amount": np.asarray(amounts, dtype=float)})
    tx = tx[tx["day"] <= end]
    if tx.empty:
        raise ValueError(f"no transactions on or before {end.date()}")
    daily = tx.groupby(["customer", "day"], sort=True)["amount"].sum().reset_index()
    per_customer = daily.groupby("customer", sort=True)
    first, last = per_customer["day"].min(), per_customer["day"].max()
    x = per_customer.size() - 1
    repeat_spend = per_customer["amount"].sum() - per_customer["amount"].first()
    unit = pd.Timedelta(days=time_unit_days)
    return pd.DataFrame(
        {
            "x": x,
            "t_x": (last - first) / unit,
            "T": (end - first) / unit,
            "mean_value": (repeat_spend / x.where(x > 0)).fillna(0.0),
        }
    )


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters (alpha in the data's time unit) and, when fitted, the fit's statistics.

    `converged`: BFGS met its tolerance and the Hessian is invertible, i.e. an interior maximum;
    data without heterogeneity (e.g. identical customers) drive parameters to a boundary instead.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True
    standard_errors: tuple[float, ...] = ()  # of (r, alpha, a, b), by the delta method


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma spend parameters and, when fitted, the fit's statistics."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    converged: bool = True
    standard_errors: tuple[float, ...] = ()  # of (p, q, gamma)


@dataclass(frozen=True, eq=False)
class CLV:
    """Discounted customer lifetime values with the assumptions they depend on."""

    values: FloatArray
    months: int
    monthly_discount_rate: float
    time_unit_days: float
    margin: float


class _LogScaleLikelihood(GenericLikelihoodModel):
    """A weighted log-likelihood over distinct data rows, with the parameters on the log scale."""

    def __init__(self, loglik: Rows, gradient: Rows, weights: FloatArray, names: list[str]) -> None:
        self._loglik = loglik
        self._gradient = gradient
        self._weights = weights
        super().__init__(weights, extra_params_names=names)

    def loglikeobs(self, params: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            ll = self._weights * self._loglik(np.exp(params))
        return np.where(np.isfinite(ll), ll, -1e300)  # a finite wall where trial steps overflow

    def score_obs(self, params: FloatArray) -> FloatArray:
        theta = np.exp(params)
        with np.errstate(all="ignore"):
            grad = self._weights[:, None] * self._gradient(theta) * theta
        return np.where(np.isfinite(grad), grad, 0.0)

    def score(self, params: FloatArray) -> FloatArray:
        # Analytic: with numerical gradients BFGS often stops on "precision loss" at the optimum.
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params: FloatArray) -> FloatArray:
        jacobian = approx_fprime(params, self.score, centered=True)
        return (jacobian + jacobian.T) / 2


def _maximise(model: _LogScaleLikelihood, start: FloatArray) -> tuple[list[float], float, bool, tuple[float, ...]]:
    """BFGS with the analytic score from a data-based start.

    No Nelder-Mead warm-up: on 80 simulated BG/NBD data sets, 200 or 1,000 Nelder-Mead steps first
    left BFGS on a flat ridge at a wrong optimum reported as converged (2 and 1 times), while BFGS
    alone from this start always reached the maximum, 5-8 times faster.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and Hessian warnings; `converged` reports the outcome
        fit = model.fit(start_params=start, method="bfgs", maxiter=500, gtol=1e-6, disp=False)
        params = np.exp(fit.params)
        cov = fit.normalized_cov_params  # None when the Hessian is singular (a flat direction)
        se = params * np.sqrt(np.diag(cov)) if cov is not None else np.full_like(params, np.nan)
    if not np.isfinite(fit.llf) or not np.isfinite(params).all():
        raise ValueError("the likelihood has no finite maximum on this data")
    converged = bool(fit.mle_retvals["converged"]) and bool(np.isfinite(se).all())
    return [float(v) for v in params], float(fit.llf), converged, tuple(float(v) for v in se)


def _history(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    xs, txs, Ts = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if xs.ndim != 1 or not xs.size or not xs.shape == txs.shape == Ts.shape:
        raise ValueError("x, t_x and T must be non-empty 1-d arrays of one length")
    if not np.isfinite(np.stack([xs, txs, Ts])).all() or (xs < 0).any() or (xs != np.round(xs)).any():
        raise ValueError("x must be whole numbers >= 0 and t_x, T finite")
    if (txs < 0).any() or (txs > Ts).any():
        raise ValueError("need 0 <= t_x <= T")
    return xs, txs, Ts


def _bgnbd_branches(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood kernels of "still alive at T" and "dropped out right after t_x" (x > 0 only)."""
    r, alpha, a, b = params
    repeat = x > 0
    alive = -(r + x) * np.log(alpha + T)
    dropped = np.where(repeat, np.log(a / np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return alive, dropped


def _bgnbd_loglik(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, a, b = params
    alive, dropped = _bgnbd_branches(params, x, t_x, T)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    return head + np.logaddexp(alive, dropped)


def _bgnbd_gradient(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, a, b = params
    alive, dropped = _bgnbd_branches(params, x, t_x, T)
    w = expit(dropped - alive)  # posterior weight of the dropped-out branch
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - (1 - w) * np.log(alpha + T) - w * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * ((1 - w) / (alpha + T) + w / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w / a
    d_b = digamma(a + b) - digamma(a + b + x) + digamma(b + x) - digamma(b) - w / np.where(x > 0, b + x - 1, 1.0)
    return np.column_stack([d_r, d_alpha, d_a, d_b])


def fit_bgnbd(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> BGNBDParams:
    """Maximum-likelihood BG/NBD (Fader, Hardie & Lee 2005) on one row per customer."""
    xs, txs, Ts = _history(x, t_x, T)
    if not (xs > 0).any():
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase (x > 0)")
    rows = pd.DataFrame({"x": xs, "t_x": txs, "T": Ts}).value_counts(sort=False).reset_index()
    cols = [rows[c].to_numpy(dtype=float) for c in ("x", "t_x", "T")]
    model = _LogScaleLikelihood(
        lambda p: _bgnbd_loglik(p, *cols),
        lambda p: _bgnbd_gradient(p, *cols),
        rows["count"].to_numpy(dtype=float),
        ["r", "alpha", "a", "b"],
    )
    start = np.log([1.0, Ts.sum() / xs.sum(), 1.0, 1.0])  # r / alpha = the pooled purchase rate
    (r, alpha, a, b), llf, converged, se = _maximise(model, start)
    return BGNBDParams(r, alpha, a, b, llf, xs.size, converged, se)


def _log_dropout_odds(params: BGNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """log P(dropped out) / P(alive) given the history; -inf without repeat purchases."""
    repeat = x > 0
    log_ratio = np.log(params.a / np.where(repeat, params.b + x - 1, 1.0))
    return np.where(repeat, log_ratio + (params.r + x) * np.log((params.alpha + T) / (params.alpha + t_x)), -np.inf)


def p_alive(params: BGNBDParams, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """P(still active | x, t_x, T). Always 1 when x = 0, so it cannot rank one-time buyers."""
    xs, txs, Ts = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return np.asarray(expit(-_log_dropout_odds(params, xs, txs, Ts)))


def expected_purchases(
    params: BGNBDParams, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """E[purchases in the next t time units | x, t_x, T] (FHL 2005 eq. 10); broadcasts."""
    ts, xs, txs, Ts = (np.asarray(v, dtype=float) for v in (t, x, t_x, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = ts / (alpha + Ts + ts)
    alive = expit(-_log_dropout_odds(params, xs, txs, Ts))
    with np.errstate(all="ignore"):
        # Euler's transformation of eq. 10's ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z):
        # bounded arguments, so no overflow for heavy buyers.
        tail = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + xs - 1, z)
        exact = (a + b + xs - 1) / (a - 1) * (1 - tail) * alive
    if a < POINT_MASS_SHAPE and np.isfinite(exact).all():
        return np.asarray(exact)
    # Data without dropout drive a and b without bound at a fixed ratio: the beta becomes a point mass
    # at p = a / (a + b), where eq. 10 tends to (1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p.
    p = a / (a + b)
    return np.asarray((1 - ((alpha + Ts) / (alpha + Ts + p * ts)) ** (r + xs)) / p * alive)


def expected_purchases_unconditional(params: BGNBDParams, t: npt.ArrayLike) -> FloatArray:
    """E[X(t)]: expected repeat purchases in the first t time units of a new customer."""
    return expected_purchases(params, t, 0.0, 0.0, 0.0)


def _gamma_gamma_loglik(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, gamma = params
    px = p * x
    head = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
    return head + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + x * m)


def _gamma_gamma_gradient(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, gamma = params
    px = p * x
    log_total = np.log(gamma + x * m)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(x * m) - log_total)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    return np.column_stack([d_p, d_q, d_gamma])


def fit_gamma_gamma(x: npt.ArrayLike, mean_value: npt.ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma on the customers with x >= 1 and their mean repeat spend.

    The model assumes spend is independent of frequency: check corr(x, mean_value) first.
    """
    xs, ms = np.asarray(x, dtype=float), np.asarray(mean_value, dtype=float)
    if xs.shape != ms.shape or xs.ndim != 1:
        raise ValueError("x and mean_value must be 1-d arrays of one length")
    repeat = xs >= 1
    if not repeat.any():
        raise ValueError("Gamma-Gamma needs at least one customer with a repeat purchase (x >= 1)")
    xs, ms = xs[repeat], ms[repeat]
    if not (np.isfinite(ms).all() and (ms > 0).all()):
        raise ValueError("mean repeat spend must be positive and finite")
    model = _LogScaleLikelihood(
        lambda p: _gamma_gamma_loglik(p, xs, ms),
        lambda p: _gamma_gamma_gradient(p, xs, ms),
        np.ones_like(xs),
        ["p", "q", "gamma"],
    )
    start = np.log([1.0, 2.0, ms.mean()])  # population mean p * gamma / (q - 1) = the sample mean
    (p, q, gamma), llf, converged, se = _maximise(model, start)
    return GammaGammaParams(p, q, gamma, llf, xs.size, converged, se)


def expected_order_value(params: GammaGammaParams, x: npt.ArrayLike, mean_value: npt.ArrayLike) -> FloatArray:
    """E[spend per transaction | x, mean repeat spend]; the population mean p gamma / (q - 1) when x = 0."""
    if params.q <= 1:
        raise ValueError("q <= 1: the Gamma-Gamma population mean spend is infinite")
    xs, ms = np.asarray(x, dtype=float), np.asarray(mean_value, dtype=float)
    observed = np.where(xs > 0, xs * ms, 0.0)
    return np.asarray(params.p * (params.gamma + observed) / (params.p * xs + params.q - 1))


def clv(
    bgnbd: BGNBDParams,
    gg: GammaGammaParams,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    mean_value: npt.ArrayLike,
    *,
    months: int,
    monthly_discount_rate: float,
    time_unit_days: float = 7.0,
    margin: float = 1.0,
) -> CLV:
    """Sum over months m = 1..months of margin x E[purchases in month m] x E[order value] / (1 + d)^m.

    `time_unit_days` must be the unit the histories and `bgnbd` were built in: a month is
    365.25 / 12 / time_unit_days time units (4.35 weeks, not 30).
    """
    if months < 1 or monthly_discount_rate <= -1:
        raise ValueError("need months >= 1 and monthly_discount_rate > -1")
    xs, txs, Ts = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    edges = (DAYS_PER_MONTH / time_unit_days) * np.arange(months + 1.0)[:, None]
    per_month = np.diff(expected_purchases(bgnbd, edges, xs, txs, Ts), axis=0)
    discount = (1 + monthly_discount_rate) ** -np.arange(1.0, months + 1)
    values = margin * expected_order_value(gg, xs, mean_value) * (discount @ per_month)
    return CLV(values, months, monthly_discount_rate, time_unit_days, margin)
