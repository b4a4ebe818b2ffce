"""A realistic CRM data set, loaded into a migrated PostgreSQL database with COPY.

Orders fall over two years with a trend, a yearly season and a weekday pattern; each product has
its own level and seasonal phase, so per-product demand series look like real ones. Every row
is whole seconds (as an API client would write them) and ids run from 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import numpy as np


@dataclass(frozen=True)
class Size:
    customers: int = 10_000
    orders: int = 200_000
    lines: int = 600_000
    visits: int = 50_000
    tickets: int = 30_000
    campaigns: int = 50
    products: int = 200
    reps: int = 40


SEGMENTS = ["consumer", "small_business", "enterprise", "public_sector"]
CATEGORIES = ["Software", "Hardware", "Services", "Support Plans", "Training", "Accessories"]
DAYS = 730


async def load(dsn: str, size: Size, seed: int = 7) -> dict[str, float]:
    """COPY the data set into the (migrated, empty) database at `dsn`; returns seconds per table."""
    rng = np.random.default_rng(seed)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    timings: dict[str, float] = {}
    connection = await asyncpg.connect(dsn)
    try:

        async def copy(table: str, columns: list[str], records: list[tuple[object, ...]]) -> None:
            started = time.perf_counter()
            await connection.copy_records_to_table(table, records=records, columns=columns)
            timings[table] = time.perf_counter() - started

        stamp = ["created_at", "updated_at", "version"]
        reps = [(start, start, 1, f"Rep {i}", f"rep{i}@bench.example", "sales_rep", True) for i in range(size.reps)]
        await copy("users", [*stamp, "name", "email", "role", "active"], reps)

        owners = rng.integers(1, size.reps + 1, size.customers)
        segments = rng.choice(SEGMENTS, size.customers, p=[0.5, 0.3, 0.15, 0.05])
        customers = [
            (start, start, 1, f"Customer {i:05d}", f"c{i}@bench.example", f"+4930{1000000 + i}", str(s), int(o))
            for i, (s, o) in enumerate(zip(segments, owners, strict=True), 1)
        ]
        await copy("customers", [*stamp, "name", "email", "phone", "segment", "owner_id"], customers)

        prices = np.round(rng.lognormal(4, 1, size.products), 2) + 1
        products = [
            (
                start,
                start,
                1,
                f"SKU-{i:05d}",
                f"Product {i}",
                CATEGORIES[i % len(CATEGORIES)],
                Decimal(f"{p:.2f}"),
                True,
            )
            for i, p in enumerate(prices, 1)
        ]
        await copy("products", [*stamp, "sku", "name", "category", "unit_price", "active"], products)

        # Order days: a trend and a yearly season, fewer orders at weekends.
        day = np.arange(DAYS)
        weekday = (start + timedelta(days=1)).weekday()
        rate = (1 + day / DAYS) * (1 + 0.3 * np.sin(2 * np.pi * day / 365.25))
        rate *= np.where((day + weekday) % 7 >= 5, 0.4, 1.0)
        order_days = rng.choice(DAYS, size.orders, p=rate / rate.sum())
        seconds = rng.integers(8 * 3600, 18 * 3600, size.orders)
        ordered_at = [start + timedelta(days=int(d), seconds=int(s)) for d, s in zip(order_days, seconds, strict=True)]
        # Some customers buy far more than others (lognormal weights: the busiest about 50 times the mean).
        appetite = rng.lognormal(0, 1, size.customers)
        buyers = rng.choice(size.customers, size.orders, p=appetite / appetite.sum()) + 1
        statuses = rng.choice(
            ["completed", "shipped", "confirmed", "cancelled", "draft"], size.orders, p=[0.6, 0.15, 0.15, 0.05, 0.05]
        )

        # Lines: a product by its level and its own seasonal phase on the order's day.
        per_order = rng.multinomial(size.lines - size.orders, np.ones(size.orders) / size.orders) + 1
        line_order = np.repeat(np.arange(size.orders), per_order)
        level = rng.lognormal(0, 1, size.products)
        phase = rng.uniform(0, 2 * np.pi, size.products)
        line_day = order_days[line_order]
        line_product = np.empty(len(line_order), dtype=np.int64)
        for d in range(DAYS):
            on_day = np.flatnonzero(line_day == d)
            weights = level * (1 + 0.5 * np.sin(2 * np.pi * d / 365.25 + phase))
            line_product[on_day] = rng.choice(size.products, len(on_day), p=weights / weights.sum())
        quantity = rng.integers(1, 10, len(line_order))
        line_total = np.round(prices[line_product] * quantity, 2)
        totals = np.bincount(line_order, weights=line_total, minlength=size.orders)

        orders = [
            (
                ordered_at[i],
                ordered_at[i],
                1,
                str(statuses[i]),
                ordered_at[i],
                "EUR",
                Decimal(f"{totals[i]:.2f}"),
                int(buyers[i]),
                int(owners[buyers[i] - 1]),
            )
            for i in range(size.orders)
        ]
        await copy("orders", [*stamp, "status", "ordered_at", "currency", "total", "customer_id", "rep_id"], orders)
        lines = [
            (
                ordered_at[o],
                ordered_at[o],
                1,
                int(q),
                Decimal(f"{prices[p]:.2f}"),
                Decimal(f"{t:.2f}"),
                int(o) + 1,
                int(p) + 1,
            )
            for o, p, q, t in zip(line_order, line_product, quantity, line_total, strict=True)
        ]
        await copy(
            "order_lines",
            [*stamp, "quantity", "unit_price", "line_total", "order_id", "product_id"],
            lines,
        )

        visit_at = [start + timedelta(days=int(d), hours=9) for d in rng.integers(0, DAYS + 60, size.visits)]
        visit_customer = rng.integers(1, size.customers + 1, size.visits)
        visits = [
            (at, at, 1, at, 60, "Account review", "planned" if at > end else "done", int(c), int(owners[c - 1]))
            for at, c in zip(visit_at, visit_customer, strict=True)
        ]
        await copy(
            "visits",
            [*stamp, "scheduled_at", "duration_minutes", "purpose", "status", "customer_id", "rep_id"],
            visits,
        )

        opened = [start + timedelta(days=int(d), hours=10) for d in rng.integers(0, DAYS, size.tickets)]
        kinds = rng.choice(["consultation", "feedback", "complaint"], size.tickets)
        priorities = rng.choice(["low", "normal", "high", "urgent"], size.tickets, p=[0.3, 0.5, 0.15, 0.05])
        tickets = [
            (
                at,
                at,
                1,
                str(k),
                f"Ticket {i}",
                "Customer wrote in.",
                "new",
                str(p),
                at,
                int(rng.integers(1, size.customers + 1)),
            )
            for i, (at, k, p) in enumerate(zip(opened, kinds, priorities, strict=True), 1)
        ]
        await copy(
            "tickets",
            [*stamp, "kind", "subject", "description", "status", "priority", "opened_at", "customer_id"],
            tickets,
        )

        campaigns = [
            (
                start,
                start,
                1,
                f"Campaign {i}",
                "email",
                Decimal("5000.00"),
                (start + timedelta(days=14 * i)).date(),
                (start + timedelta(days=14 * i + 30)).date(),
                "completed",
            )
            for i in range(size.campaigns)
        ]
        await copy("campaigns", [*stamp, "name", "channel", "budget", "starts_on", "ends_on", "status"], campaigns)
        members = [
            (start, start, 1, "contacted", c, int(m))
            for c in range(1, size.campaigns + 1)
            for m in rng.choice(size.customers, 200, replace=False) + 1
        ]
        await copy("campaign_members", [*stamp, "status", "campaign_id", "customer_id"], members)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return timings
