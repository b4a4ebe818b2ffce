"""CRM_TRACING: OpenTelemetry spans per operation and resolver, and nothing at all when it is off."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from strawberry.extensions import SchemaExtension

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.models import Role
from crm_graphql.schema.tracing import tracing_extension
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, client_for, make_key

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # tracing is not per backend
SHOPPERS = "query Shoppers { customers(first: 5) { totalCount edges { node { name } } } }"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    """A tracer provider of the test's own: OpenTelemetry's global one can be set once per process."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@asynccontextmanager
async def serving(settings: Settings, provider: TracerProvider) -> AsyncIterator[GraphQLClient]:
    """The real app, with a customer in its database, and a client with an admin's API key."""
    application = create_app(settings, tracer_provider=provider)
    async with application.router.lifespan_context(application):
        await models.Customer.create(name="Anna", segment=models.Segment.CONSUMER)
        async with client_for(application, await make_key(Role.ADMIN)) as http:
            yield GraphQLClient(http)


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


@SQLITE
async def test_an_operation_is_a_span_with_a_child_span_per_resolver(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async with serving(replace(settings, tracing=True), provider) as gql:
        data = await gql.data(SHOPPERS)
        assert data["customers"]["totalCount"] == 1

    spans = by_name(exporter.get_finished_spans())
    operation = spans["GraphQL Query: Shoppers"]
    assert operation.kind is SpanKind.SERVER and operation.parent is None
    assert operation.attributes is not None and operation.attributes["query"] == SHOPPERS
    assert operation.context is not None
    for step in ("Parsing", "Validation", "Resolving: customers", "Resolving: totalCount"):
        parent = spans[f"GraphQL {step}"].parent
        assert parent is not None and parent.span_id == operation.context.span_id, step
    customers = spans["GraphQL Resolving: customers"]
    assert customers.attributes is not None
    assert customers.attributes["graphql.path"] == "customers"
    assert customers.attributes["graphql.param.first"] == 5
    # Plain attributes (`name`) have no resolver of their own, so no span.
    assert "GraphQL Resolving: name" not in spans


@SQLITE
async def test_an_anonymous_operation_is_named_by_its_document(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async with serving(replace(settings, tracing=True), provider) as gql:
        await gql.data("{ customers(first: 1) { totalCount } }")
    assert "GraphQL Query" in by_name(exporter.get_finished_spans())


@SQLITE
async def test_no_spans_when_tracing_is_off(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    assert not settings.tracing
    async with serving(settings, provider) as gql:
        await gql.data(SHOPPERS)
    assert exporter.get_finished_spans() == ()


def test_off_adds_no_resolver_middleware() -> None:
    # Strawberry wraps every resolver in the extensions that override `resolve`; off, none does.
    assert type(tracing_extension()).resolve is SchemaExtension.resolve


def test_tracing_without_opentelemetry_fails_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "strawberry.extensions.tracing.opentelemetry", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"pip install 'crm-graphql\[otel\]'"):
        create_app(Settings(tracing=True))
    create_app(Settings(tracing=False))  # off, OpenTelemetry is not needed
