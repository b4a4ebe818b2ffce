"""Manager reports, each aggregated by the database in one SQL statement.

Python only validates the arguments and shapes the aggregated rows. What differs between SQLite and
PostgreSQL lives in `SQLITE` / `POSTGRES`; user values always travel as numbered bind parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from crm_graphql.models import MemberStatus, OrderStatus, Segment, TicketKind, TicketPriority, TicketStatus
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.routing import read_connection

CENT = Decimal("0.01")
COUNTED_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
OPEN_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
RESPONDED_STATUSES = (MemberStatus.RESPONDED, MemberStatus.CONVERTED)
NO_KEY_LABEL = "none"
MAX_ROWS = 10_000
MAX_ID = 2**31 - 1  # ids are 32-bit: a larger one cannot exist (and asyncpg would refuse to bind it)


class ReportPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class SalesDimension(StrEnum):
    REP = "rep"
    PRODUCT = "product"
    SEGMENT = "segment"
    CAMPAIGN = "campaign"


# The longest window (in days, both ends included) each grouping accepts: 1, 3 and 10 years.
MAX_WINDOW_DAYS = {ReportPeriod.DAY: 366, ReportPeriod.WEEK: 1096, ReportPeriod.MONTH: 3653}


@dataclass(frozen=True)
class SalesRow:
    period: date
    key_id: int | None
    label: str
    currency: str
    order_count: int
    revenue: Decimal
    average_order_value: Decimal


@dataclass(frozen=True)
class TicketStatistics:
    ticket_count: int
    open_by_kind: dict[TicketKind, int]
    open_by_priority: dict[TicketPriority, int]
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    sla_breaches: int
    average_satisfaction: float | None


@dataclass(frozen=True)
class CampaignStatistics:
    members: int
    members_by_status: dict[MemberStatus, int]
    response_rate: float
    conversion_rate: float
    attributed_orders: int
    attributed_revenue: Decimal
    roi: float | None


@dataclass(frozen=True)
class Dialect:
    """SQL templates that differ between the databases ({0}, {1}: column expressions, never user values)."""

    mark: str
    periods: dict[ReportPeriod, str]
    cents: str
    hours: str
    text_timestamps: bool


# SQLite stores datetimes as UTC ISO text ('2026-01-05 09:00:00+00:00') and decimals as text; summing
# whole cents as integers stays exact where summing the text as REAL would not.
SQLITE = Dialect(
    mark="?{}",  # numbered like PostgreSQL's, so a value can be used twice and bound in any order
    periods={
        ReportPeriod.DAY: "date({})",
        # Back 6 days, then forward to a Monday: 'weekday 1', '-7 days' would move a Monday a week back.
        ReportPeriod.WEEK: "date({}, '-6 days', 'weekday 1')",
        ReportPeriod.MONTH: "date({}, 'start of month')",
    },
    cents="CAST(ROUND(CAST({} AS REAL) * 100) AS INTEGER)",
    hours="ROUND((julianday({0}) - julianday({1})) * 86400, 3) / 3600",
    text_timestamps=True,
)
POSTGRES = Dialect(
    mark="${}",
    periods={p: f"CAST(date_trunc('{p.value}', {{}} AT TIME ZONE 'UTC') AS DATE)" for p in ReportPeriod},
    cents="({} * 100)",
    hours="CAST(EXTRACT(EPOCH FROM {0} - {1}) AS DOUBLE PRECISION) / 3600",
    text_timestamps=False,
)


class Statement:
    """One parameterised read-only statement, written for its dialect."""

    def __init__(self) -> None:
        self.connection = read_connection()
        dialect = self.connection.capabilities.dialect
        if dialect not in ("sqlite", "postgres"):
            raise RuntimeError(f"reports support SQLite and PostgreSQL, not {dialect}")
        self.sql = POSTGRES if dialect == "postgres" else SQLITE
        self.values: list[Any] = []

    def bind(self, *values: Any) -> str:
        """Placeholders for `values`, comma-separated."""
        marks = []
        for value in values:
            if isinstance(value, datetime) and self.sql.text_timestamps:
                value = value.astimezone(UTC).isoformat(" ")  # as stored, so comparisons stay (indexed) text ones
            self.values.append(value)
            marks.append(self.sql.mark.format(len(self.values)))
        return ", ".join(marks)

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        return await self.connection.execute_query_dict(sql, self.values)


def _window(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start of `start`, start of the day after `end`) in UTC; rejects a reversed or unrepresentable window."""
    if start is not None and end is not None and start > end:
        raise InvalidArgument("to", "must not be before 'from'")
    if end is not None and end >= date.max:
        raise InvalidArgument("to", f"must be before {date.max.isoformat()}")
    low = datetime.combine(start, time.min, UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, UTC) if end else None
    return low, high


def _money(cents: Any) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(CENT, ROUND_HALF_UP)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


_SEGMENT_NAMES = {segment.value: segment.name for segment in Segment}


def _live(table: str, reference: str) -> str:
    return f"LEFT JOIN {table} d ON d.id = {reference} AND d.deleted_at IS NULL"


# How each dimension reaches its key row (join, key id, label); a deleted key row counts as no key.
_DIMENSIONS = {
    SalesDimension.REP: (_live("users", "o.rep_id"), "d.id", "d.name"),
    SalesDimension.CAMPAIGN: (_live("campaigns", "o.campaign_id"), "d.id", "d.name"),
    SalesDimension.SEGMENT: (_live("customers", "o.customer_id"), "CAST(NULL AS INTEGER)", "d.segment"),
    SalesDimension.PRODUCT: (
        "JOIN order_lines l ON l.order_id = o.id AND l.deleted_at IS NULL " + _live("products", "l.product_id"),
        "d.id",
        "d.name",
    ),
}


async def sales_report(start: date, end: date, group_by: ReportPeriod, by: SalesDimension) -> list[SalesRow]:
    """Confirmed, shipped and completed orders placed on `start`..`end` (UTC days), per period, key and
    currency, ordered by period, label, key and currency."""
    low, high = _window(start, end)
    if (end - start).days + 1 > MAX_WINDOW_DAYS[group_by]:
        raise InvalidArgument(
            "to", f"must be at most {MAX_WINDOW_DAYS[group_by]} days after 'from' for {group_by.name}"
        )
    join, key, label = _DIMENSIONS[by]
    amount = "l.line_total" if by is SalesDimension.PRODUCT else "o.total"
    q = Statement()
    sql = (
        f"SELECT {q.sql.periods[group_by].format('o.ordered_at')} AS period, {key} AS key_id, {label} AS label, "
        f"o.currency AS currency, COUNT(DISTINCT o.id) AS order_count, SUM({q.sql.cents.format(amount)}) AS cents "
        f"FROM orders o {join} "
        f"WHERE o.deleted_at IS NULL AND o.status IN ({q.bind(*COUNTED_ORDER_STATUSES)}) "
        f"AND o.ordered_at >= {q.bind(low)} AND o.ordered_at < {q.bind(high)} "
        f"GROUP BY 1, 2, 3, 4 LIMIT {MAX_ROWS + 1}"
    )
    found = await q.rows(sql)
    if len(found) > MAX_ROWS:
        raise InvalidArgument("groupBy", f"gives more than {MAX_ROWS} rows: shorten the window or use a longer period")
    rows = []
    for row in found:
        revenue, count, name = _money(row["cents"]), int(row["order_count"]), row["label"]
        if by is SalesDimension.SEGMENT:
            name = _SEGMENT_NAMES.get(name, name)
        label = NO_KEY_LABEL if name is None else name
        average = (revenue / count).quantize(CENT, ROUND_HALF_UP)
        rows.append(SalesRow(_as_date(row["period"]), row["key_id"], label, row["currency"], count, revenue, average))
    rows.sort(key=lambda r: (r.period, r.label, r.key_id or 0, r.currency))
    return rows


def _median(column: str) -> str:
    """The median of `column` over `t`: the middle value, or the mean of the middle two."""
    return (
        f"SELECT AVG(h) FROM (SELECT h, ROW_NUMBER() OVER (ORDER BY h) AS rn, COUNT(*) OVER () AS cnt "
        f"FROM (SELECT {column} AS h FROM t WHERE {column} IS NOT NULL) v) r WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)"
    )


async def ticket_statistics(start: date | None, end: date | None, now: datetime | None = None) -> TicketStatistics:
    """Statistics over the tickets opened on `start`..`end` (UTC days; either end may be open)."""
    low, high = _window(start, end)
    q = Statement()
    window = "".join(
        f" AND opened_at {op} {q.bind(bound)}" for op, bound in ((">=", low), ("<", high)) if bound is not None
    )
    now_mark = q.bind(now or datetime.now(UTC))
    open_marks = q.bind(*OPEN_TICKET_STATUSES)
    sql = (
        f"WITH t AS (SELECT kind, priority, status, satisfaction, resolved_at, due_at, "
        f"{q.sql.hours.format('first_response_at', 'opened_at')} AS response_hours, "
        f"{q.sql.hours.format('resolved_at', 'opened_at')} AS resolution_hours "
        f"FROM tickets WHERE deleted_at IS NULL{window}) "
        f"SELECT 'kind' AS section, kind AS name, COUNT(*) AS n, CAST(NULL AS DOUBLE PRECISION) AS x "
        f"FROM t WHERE status IN ({open_marks}) GROUP BY kind "
        f"UNION ALL SELECT 'priority', priority, COUNT(*), NULL FROM t "
        f"WHERE status IN ({open_marks}) GROUP BY priority "
        f"UNION ALL SELECT 'tickets', NULL, COUNT(*), AVG(CAST(satisfaction AS DOUBLE PRECISION)) FROM t "
        f"UNION ALL SELECT 'breaches', NULL, COUNT(*), NULL FROM t WHERE due_at IS NOT NULL "
        f"AND ((resolved_at IS NOT NULL AND resolved_at > due_at) OR (resolved_at IS NULL AND due_at < {now_mark})) "
        f"UNION ALL SELECT 'response', NULL, NULL, ({_median('response_hours')}) "
        f"UNION ALL SELECT 'resolution', NULL, NULL, ({_median('resolution_hours')})"
    )
    found = await q.rows(sql)
    single = {row["section"]: row for row in found if row["section"] not in ("kind", "priority")}
    kinds = {row["name"]: int(row["n"]) for row in found if row["section"] == "kind"}
    priorities = {row["name"]: int(row["n"]) for row in found if row["section"] == "priority"}
    return TicketStatistics(
        ticket_count=int(single["tickets"]["n"]),
        open_by_kind={kind: kinds.get(kind.value, 0) for kind in TicketKind},
        open_by_priority={priority: priorities.get(priority.value, 0) for priority in TicketPriority},
        median_first_response_hours=_float(single["response"]["x"]),
        median_resolution_hours=_float(single["resolution"]["x"]),
        sla_breaches=int(single["breaches"]["n"]),
        average_satisfaction=_float(single["tickets"]["x"]),
    )


async def campaign_statistics(campaign_id: int) -> CampaignStatistics | None:
    """Membership and attributed sales of a campaign; None if there is no such (live) campaign."""
    if not 0 < campaign_id <= MAX_ID:
        return None
    q = Statement()
    sql = (
        f"WITH c AS (SELECT id, budget FROM campaigns WHERE id = {q.bind(campaign_id)} AND deleted_at IS NULL) "
        f"SELECT 'budget' AS section, CAST(NULL AS VARCHAR(20)) AS name, CAST(NULL AS BIGINT) AS n, "
        f"{q.sql.cents.format('c.budget')} AS cents FROM c "
        f"UNION ALL SELECT 'member', m.status, COUNT(*), NULL FROM campaign_members m JOIN c ON m.campaign_id = c.id "
        f"WHERE m.deleted_at IS NULL GROUP BY m.status "
        f"UNION ALL SELECT 'orders', NULL, COUNT(*), SUM({q.sql.cents.format('o.total')}) FROM orders o "
        f"JOIN c ON o.campaign_id = c.id WHERE o.deleted_at IS NULL AND o.status IN ({q.bind(*COUNTED_ORDER_STATUSES)})"
    )
    found = await q.rows(sql)
    single = {row["section"]: row for row in found if row["section"] != "member"}
    if "budget" not in single:
        return None
    by_status = {row["name"]: int(row["n"]) for row in found if row["section"] == "member"}
    members_by_status = {status: by_status.get(status.value, 0) for status in MemberStatus}
    members = sum(members_by_status.values())
    responded = sum(members_by_status[s] for s in RESPONDED_STATUSES)
    budget, revenue = _money(single["budget"]["cents"]), _money(single["orders"]["cents"])
    return CampaignStatistics(
        members=members,
        members_by_status=members_by_status,
        response_rate=responded / members if members else 0.0,
        conversion_rate=members_by_status[MemberStatus.CONVERTED] / members if members else 0.0,
        attributed_orders=int(single["orders"]["n"]),
        attributed_revenue=revenue,
        roi=float((revenue - budget) / budget) if budget else None,
    )
