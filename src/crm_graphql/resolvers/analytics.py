"""Running statsmodels fits off the event loop, one at a time.

Fits are CPU-bound and the forecast code sets process-wide warning filters, so they run on one
worker thread; BLAS is held to one thread there, since its own threads fight the server's for
the same cores and made a cold forecast ten times slower on a busy two-core machine.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

from crm_graphql.metrics import FIT_SECONDS

T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-fit")


class FitCounter:
    """How many fits this process has run: what tests count to prove a result came from the cache."""

    def __init__(self) -> None:
        self.count = 0


FITS = FitCounter()


def _single_threaded(fit: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with threadpool_limits(limits=1):
        return fit(*args, **kwargs)


def finite(value: Any) -> float | None:
    """A finite float, or None for NaN and infinities (which JSON and GraphQL cannot carry)."""
    number = float(value)
    return number if math.isfinite(number) else None


async def run_fit(fit: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fit(*args, **kwargs)` on the fit thread, awaited without blocking the event loop."""
    FITS.count += 1
    loop = asyncio.get_running_loop()
    with FIT_SECONDS.labels(getattr(fit, "__name__", "fit")).time():
        return await loop.run_in_executor(_executor, partial(_single_threaded, fit, *args, **kwargs))
