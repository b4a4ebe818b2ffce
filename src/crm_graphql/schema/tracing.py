"""Optional OpenTelemetry tracing (CRM_TRACING) by Strawberry's OpenTelemetryExtension.

The schema is built once, at import, with a fixed list of extensions, but tracing is a setting of
each app. So the list holds `tracing_extension`, a factory Strawberry calls once per operation: it
returns Strawberry's OpenTelemetryExtension (spans for the operation, its parsing and validation, and
each resolver that is not a plain attribute) while the request belongs to a tracing app, and
otherwise an extension without hooks. Strawberry wraps resolvers only for extensions that implement
`resolve`, so an app that does not trace pays nothing per resolver. The HTTP view runs each request
`under` its app's `Tracing` (or None).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

MISSING_OPENTELEMETRY = (
    "CRM_TRACING is on but OpenTelemetry is not installed: pip install 'crm-graphql[otel]' (or turn CRM_TRACING off)"
)


class Tracing:
    """An app's tracing: spans go to `tracer_provider`, or to OpenTelemetry's global one when None.

    Made at startup, so that a missing OpenTelemetry fails the start instead of the first request.
    """

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        try:
            from strawberry.extensions.tracing.opentelemetry import OpenTelemetryExtension
        except ImportError as exc:
            raise RuntimeError(MISSING_OPENTELEMETRY) from exc
        self._extension = OpenTelemetryExtension
        self.tracer_provider = tracer_provider

    def extension(self) -> SchemaExtension:
        return self._extension(tracer_provider=self.tracer_provider)


_current: ContextVar[Tracing | None] = ContextVar("crm_graphql_tracing", default=None)


@contextmanager
def under(tracing: Tracing | None) -> Iterator[None]:
    """Trace the operations started in this block (and its tasks) by `tracing`; none when it is None."""
    token = _current.set(tracing)
    try:
        yield
    finally:
        _current.reset(token)


class Untraced(SchemaExtension):
    """No hooks at all: Strawberry skips it in every step and adds no resolver middleware."""


def tracing_extension() -> SchemaExtension:
    """The schema's tracing extension for one operation."""
    tracing = _current.get()
    return tracing.extension() if tracing else Untraced()
