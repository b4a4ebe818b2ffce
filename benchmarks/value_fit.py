"""Fit time of BG/NBD and Gamma-Gamma on customers simulated from the published CDNOW parameters.

A CDNOW-like cohort: first purchases spread over 12 weeks, observed for 39 weeks, dates in whole
days, time unit weeks. Checks that each fitted parameter lies within 4 standard errors or 15% of
the value simulated from, and exits with status 1 if one does not.

The 15% is for a real effect, not noise: `summarize` merges same-day purchases, which the
continuous-time model does not know about. At these parameters about 2% of customers (the
heaviest buyers) lose a purchase that way, which biases alpha up by about 10% and r by about 4%;
fitted on the unmerged continuous-time histories, every parameter lands within 2-3 SE.

    python benchmarks/value_fit.py [customers ...]    # default: 10000 100000
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from crm_graphql.ml.value import clv, expected_purchases, fit_bgnbd, fit_gamma_gamma, p_alive, summarize

Result = TypeVar("Result")

BGNBD = {"r": 0.2426, "alpha": 4.4137, "a": 0.7929, "b": 2.4259}
GAMMA_GAMMA = {"p": 6.2497, "q": 3.7442, "gamma": 15.4429}
COHORT_WEEKS = 12
OBSERVED_WEEKS = 39
START = pd.Timestamp("2024-01-01")


def simulate(n: int, seed: int) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """Transactions (customer, date, amount) of n customers, one loop step per purchase number."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n)  # purchases a week while active
    dropout = rng.beta(BGNBD["a"], BGNBD["b"], n)  # after each repeat purchase
    spend_rate = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], n)
    now = rng.integers(0, COHORT_WEEKS * 7, n) / 7.0
    customers, times = [np.arange(n)], [now.copy()]
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1 / rate[active])
        active = active[now[active] <= OBSERVED_WEEKS]
        customers.append(active)
        times.append(now[active])
        active = active[rng.random(active.size) >= dropout[active]]
    customer = np.concatenate(customers)
    amount = rng.gamma(GAMMA_GAMMA["p"], 1 / spend_rate[customer])
    dates = START + pd.to_timedelta(np.floor(np.concatenate(times) * 7), unit="D")
    return customer, pd.DatetimeIndex(dates), amount


def timed(function: Callable[[], Result]) -> tuple[Result, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def recovered(name: str, estimate: float, se: float, truth: float) -> bool:
    ok = abs(estimate - truth) <= max(4 * se, 0.15 * truth)
    z = (estimate - truth) / se
    print(f"    {name:>6} {estimate:9.4f}  true {truth:8.4f}  se {se:7.4f}  z {z:+5.2f}  {'ok' if ok else 'MISS'}")
    return ok


def check(fitted: object, truth: dict[str, float], standard_errors: tuple[float, ...]) -> list[bool]:
    return [
        recovered(name, getattr(fitted, name), se, value)
        for (name, value), se in zip(truth.items(), standard_errors, strict=True)
    ]


def run(n: int) -> bool:
    (customer, dates, amount), simulate_s = timed(lambda: simulate(n, seed=n))
    end = START + pd.Timedelta(weeks=OBSERVED_WEEKS)
    summary, summarize_s = timed(lambda: summarize(customer, dates, amount, observation_end=end))
    x, t_x, age, value = (summary[c].to_numpy() for c in ("x", "t_x", "T", "mean_value"))
    bgnbd, bgnbd_s = timed(lambda: fit_bgnbd(x, t_x, age))
    gg, gg_s = timed(lambda: fit_gamma_gamma(x, value))
    _, score_s = timed(
        lambda: (
            p_alive(bgnbd, x, t_x, age),
            expected_purchases(bgnbd, 52, x, t_x, age),
            clv(bgnbd, gg, x, t_x, age, value, months=12, monthly_discount_rate=0.01),
        )
    )
    distinct = len(summary[["x", "t_x", "T"]].drop_duplicates())
    print(
        f"{n:,} customers, {len(customer):,} transactions ({(x > 0).sum():,} repeat buyers, "
        f"{distinct:,} distinct (x, t_x, T)); simulate {simulate_s:.2f} s, summarize {summarize_s:.3f} s"
    )
    print(f"  BG/NBD fit {bgnbd_s:.3f} s, converged {bgnbd.converged}, log-likelihood {bgnbd.log_likelihood:.2f}")
    fits = check(bgnbd, BGNBD, bgnbd.standard_errors)
    print(f"  Gamma-Gamma fit {gg_s:.3f} s on {gg.n_customers:,} customers, converged {gg.converged}")
    fits += check(gg, GAMMA_GAMMA, gg.standard_errors)
    print(f"  scoring everyone (P(alive), E[X(52)], 12-month CLV): {score_s:.3f} s")
    return all(fits) and bgnbd.converged and gg.converged


def main(argv: list[str]) -> int:
    sizes = [int(arg) for arg in argv] or [10_000, 100_000]
    return 0 if all([run(n) for n in sizes]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
