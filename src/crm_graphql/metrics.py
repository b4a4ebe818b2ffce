"""Prometheus metrics of this process, served at `/metrics`.

A leaf module (it imports nothing of ours), so every layer can count what it does. Each replica is
scraped on its own; Prometheus adds them up.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from tortoise import Tortoise

REGISTRY = CollectorRegistry()

OPERATIONS = Counter(
    "crm_graphql_operations_total",
    "GraphQL operations by operation name, type and outcome (ok, or error when the response has errors).",
    ["operation", "type", "outcome"],
    registry=REGISTRY,
)
OPERATION_SECONDS = Histogram(
    "crm_graphql_operation_seconds",
    "GraphQL operation latency by operation name, from parsing to the result.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "crm_graphql_cache_lookups_total",
    "Shared cache lookups by result: hit, miss, or error (the cache was unreachable: counted as a miss).",
    ["result"],
    registry=REGISTRY,
)
FIT_SECONDS = Histogram(
    "crm_graphql_fit_seconds",
    "Time of each analytics model fit by kind (demand forecast, customer value), waiting in line included.",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)


class DatabasePool(Collector):
    """Connections of the default database pool, in use and idle, read at scrape time (PostgreSQL only)."""

    def collect(self) -> Any:
        try:
            pool = getattr(Tortoise.get_connection("default"), "_pool", None)
        except Exception:  # no database configured in this context (e.g. a scrape before startup)
            return
        if pool is None or not hasattr(pool, "get_idle_size"):
            return
        gauge = GaugeMetricFamily(
            "crm_graphql_db_pool_connections", "Database pool connections by state.", labels=["state"]
        )
        idle = pool.get_idle_size()
        gauge.add_metric(["in_use"], pool.get_size() - idle)
        gauge.add_metric(["idle"], idle)
        gauge.add_metric(["max"], pool.get_max_size())
        yield gauge


REGISTRY.register(DatabasePool())


async def metrics(request: Request) -> Response:
    """The Prometheus text exposition of this process's metrics."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
