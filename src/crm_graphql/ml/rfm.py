"""RFM quintile scores and the customer segments named after them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

SEGMENTS = (
    "champions",
    "loyal",
    "potential loyalists",
    "new",
    "promising",
    "need attention",
    "at risk",
    "can't lose them",
    "hibernating",
    "lost",
)

# The usual recency x frequency grid, with "about to sleep" folded into "need attention" and the
# low-recency, low-value corner split into "hibernating" (R = 2) and "lost" (R = 1).
# Row: 5 - R score; column: FM score - 1.
_SEGMENT_GRID = np.array(
    [
        ["new", "potential loyalists", "potential loyalists", "champions", "champions"],
        ["promising", "potential loyalists", "potential loyalists", "loyal", "loyal"],
        ["need attention", "need attention", "need attention", "loyal", "loyal"],
        ["hibernating", "hibernating", "at risk", "at risk", "can't lose them"],
        ["lost", "lost", "at risk", "at risk", "can't lose them"],
    ]
)


def quintile_scores(values: pd.Series) -> npt.NDArray[np.int64]:
    """Scores 1-5 from mid-ranks: ties share a score, and values without spread all score 3."""
    mid = (values.rank(method="average").to_numpy() - 0.5) / len(values)
    return np.floor(5 * mid).astype(np.int64) + 1


def rfm_scores(recency_days: npt.ArrayLike, frequency: npt.ArrayLike, monetary: npt.ArrayLike) -> pd.DataFrame:
    """Scores r, f, m in 1-5 (5 = most recent, most frequent, highest spend) and a segment.

    The segment comes from R and FM = (F + M) / 2 rounded half up:

        R \\ FM  1               2               3                4          5
        5       new             pot. loyalists  pot. loyalists   champions  champions
        4       promising       pot. loyalists  pot. loyalists   loyal      loyal
        3       need attention  need attention  need attention   loyal      loyal
        2       hibernating     hibernating     at risk          at risk    can't lose them
        1       lost            lost            at risk          at risk    can't lose them

    The result keeps the inputs' index when they are Series.
    """
    frame = pd.DataFrame({"recency": recency_days, "frequency": frequency, "monetary": monetary}, dtype=float)
    if frame.empty or not np.isfinite(frame.to_numpy()).all():
        raise ValueError("RFM scores need at least one customer and finite values")
    r = quintile_scores(-frame["recency"])
    f = quintile_scores(frame["frequency"])
    m = quintile_scores(frame["monetary"])
    segment = _SEGMENT_GRID[5 - r, (f + m + 1) // 2 - 1]
    return pd.DataFrame(
        {"r": r, "f": f, "m": m, "segment": pd.Categorical(segment, categories=SEGMENTS)}, index=frame.index
    )
