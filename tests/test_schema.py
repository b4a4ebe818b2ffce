"""The public contract: the printed SDL is committed, and every part of it is named and described."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from crm_graphql.schema import schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def test_sdl_matches_the_committed_snapshot() -> None:
    assert schema.as_str() + "\n" == SNAPSHOT.read_text(), (
        "the schema changed: review it, then run `crm-graphql export-schema > tests/schema.graphql`"
    )


def _own_types() -> list[object]:
    return [t for name, t in schema._schema.type_map.items() if not name.startswith("__")]


def test_every_type_field_and_argument_is_described() -> None:
    missing = []
    for graphql_type in _own_types():
        name = graphql_type.name  # type: ignore[attr-defined]
        if not getattr(graphql_type, "description", None) and name not in {"String", "Int", "Float", "Boolean", "ID"}:
            missing.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []


def test_names_follow_graphql_conventions() -> None:
    for graphql_type in _own_types():
        name = graphql_type.name  # type: ignore[attr-defined]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name in graphql_type.fields:
                assert re.fullmatch(r"[a-z][A-Za-z0-9]*", field_name), f"{name}.{field_name}"
        if isinstance(graphql_type, GraphQLEnumType):
            for value in graphql_type.values:
                assert re.fullmatch(r"[A-Z][A-Z0-9_]*", value), f"{name}.{value}"


async def test_unexpected_errors_before_execution_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    # A broken setting makes the cost extension raise a TypeError before the query runs.
    settings = SimpleNamespace(max_query_cost="oops", introspection=True)
    context = SimpleNamespace(settings=settings, viewer=None, request_id="req-42")
    result = await schema.execute("{ customers { totalCount } }", context_value=context)
    assert [(e.message, e.extensions) for e in result.errors or []] == [
        ("Unexpected error.", {"code": "INTERNAL_ERROR", "requestId": "req-42"})
    ]
    assert "request req-42: unexpected error" in caplog.text  # logged in full for the operators
    assert "not supported between instances" in caplog.text
