"""Prometheus metrics of this process, served at `/metrics`.

A leaf module (it imports nothing of ours), so every layer can count what it does. Each replica is
scraped on its own; Prometheus adds them up. The worker processes of one replica (`serve --workers
N`) count into one directory (prometheus_client's multiprocess mode), so any worker's `/metrics`
shows them all; the database pool gauge is the answering worker's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
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

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own setting


@contextmanager
def shared_by_workers(workers: int) -> Iterator[None]:
    """Have `workers` processes started in this block count into one directory (unless one is set)."""
    if workers <= 1 or MULTIPROCESS_DIRECTORY in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="crm-metrics-") as directory:
        os.environ[MULTIPROCESS_DIRECTORY] = directory  # read by each worker's prometheus_client at import
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIRECTORY]


async def metrics(request: Request) -> Response:
    """The Prometheus text exposition of this process's metrics, or of all the workers' in multiprocess mode."""
    registry = REGISTRY
    if MULTIPROCESS_DIRECTORY in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(DatabasePool())
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
