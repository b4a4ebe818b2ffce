"""Rows planned in memory before they are written, and the context they are planned in."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_graphql.models import Segment

DEMO_EXTERNAL_PREFIX = "demo-"
HISTORY_DAYS = 548
CENT = Decimal("0.01")


@dataclass
class Row:
    """A row to insert; `refs` names each foreign key's parent by its external id."""

    fields: dict[str, Any]
    refs: dict[str, str | None] = field(default_factory=dict)
    lines: list[Row] = field(default_factory=list)


@dataclass
class Account:
    """A planned customer with everything that hangs off it."""

    row: Row
    segment: Segment
    owner: str
    since: datetime
    until: int  # day index at which the customer stops ordering (churn)
    orders: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    tickets: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)

    @property
    def ext(self) -> str:
        return str(self.row.fields["external_id"])


@dataclass(frozen=True)
class World:
    """Shared context while planning: the random source, the clock and the catalogue."""

    rng: random.Random
    today: date
    anchor: datetime  # today at midnight UTC: history ends here, planned visits come after
    start: datetime  # first day of the history
    products: list[Row]
    demand: list[tuple[float, float]]  # per product: base weight, yearly growth


def second(at: datetime) -> datetime:
    """The time truncated to whole seconds."""
    return at.replace(microsecond=0)
