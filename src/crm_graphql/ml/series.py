"""Regular demand series: order-line quantities summed per calendar period (UTC).

Periods are labelled by their first day: days at midnight, weeks on Monday, months on the 1st.
A period without orders is zero demand, not missing data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

Granularity = Literal["day", "week", "month"]

FREQUENCIES: dict[str, str] = {"day": "D", "week": "W-MON", "month": "MS"}
SEASON_LENGTHS: dict[str, int] = {"D": 7, "W-MON": 52, "MS": 12}  # weekly, yearly, yearly

DateLike: TypeAlias = date | datetime | pd.Timestamp | np.datetime64 | str


def regular_series(
    dates: Iterable[DateLike],
    quantities: Iterable[float],
    *,
    granularity: Granularity,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> pd.Series:
    """Sum `quantities` per period of `granularity`, with a zero for every period without orders.

    Naive datetimes are taken as UTC. The range runs from the period containing `start` (default:
    the first order) to the period containing `end` (default: the last order), both included, so
    passing `end` counts the trailing periods without orders. Orders outside the range are dropped.
    """
    if granularity not in FREQUENCIES:
        raise ValueError(f"granularity must be one of {sorted(FREQUENCIES)}, not {granularity!r}")
    periods = _period_starts(pd.DatetimeIndex(pd.to_datetime(list(dates), utc=True, format="ISO8601")), granularity)
    totals = pd.Series(np.asarray(list(quantities), dtype=float), index=periods).groupby(level=0).sum()
    first = _period_starts(_utc_index(start), granularity)[0] if start is not None else totals.index.min()
    last = _period_starts(_utc_index(end), granularity)[0] if end is not None else totals.index.max()
    if pd.isna(first) or pd.isna(last):  # no orders and no explicit range
        calendar = pd.DatetimeIndex([], tz="UTC", freq=FREQUENCIES[granularity])
    else:
        calendar = pd.date_range(first, last, freq=FREQUENCIES[granularity])
    return totals.reindex(calendar, fill_value=0.0).rename("quantity")


def default_season_length(index: pd.Index) -> int:
    """The usual season of the index's frequency (7 for days, 52 for weeks, 12 for months), else 1."""
    freq = getattr(index, "freq", None)
    if freq is None and isinstance(index, pd.DatetimeIndex) and len(index) >= 3:
        freq = pd.infer_freq(index)
    if freq is None:
        return 1
    return SEASON_LENGTHS.get(to_offset(freq).freqstr, 1)


def future_index(index: pd.Index, horizon: int) -> pd.Index:
    """The `horizon` periods after `index`: dates when its frequency is known, positions otherwise."""
    freq = getattr(index, "freq", None)
    if freq is None and isinstance(index, pd.DatetimeIndex) and len(index) >= 3:
        freq = pd.infer_freq(index)
    if freq is not None and len(index):
        return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
    return pd.RangeIndex(len(index), len(index) + horizon)


def _utc_index(value: DateLike) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime([value], utc=True, format="ISO8601"))


def _period_starts(moments: pd.DatetimeIndex, granularity: Granularity) -> pd.DatetimeIndex:
    days = moments.floor("D")
    if granularity == "week":
        return days - pd.to_timedelta(days.day_of_week, unit="D")
    if granularity == "month":
        return days - pd.to_timedelta(days.day - 1, unit="D")
    return days
