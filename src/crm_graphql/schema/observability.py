"""Every GraphQL operation counted and timed by name in the Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from crm_graphql.metrics import OPERATION_SECONDS, OPERATIONS

MAX_NAMES = 500  # operation names are the client's choice: bound the label values a process keeps
MAX_NAME_LENGTH = 64
_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    """The metric label of an operation: its name, `anonymous`, or `other` once MAX_NAMES are in use."""
    label = (name or "anonymous")[:MAX_NAME_LENGTH]
    if label not in _seen:
        if len(_seen) >= MAX_NAMES:
            return "other"
        _seen.add(label)
    return label


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except Exception:  # the document did not parse, or names no such operation
            kind = "invalid"
        label = operation_label(context.operation_name)
        outcome = "error" if context.result is None or context.result.errors else "ok"
        OPERATIONS.labels(label, kind, outcome).inc()
        OPERATION_SECONDS.labels(label).observe(time.perf_counter() - started)
