"""Nodes: GraphQL object types whose values are read straight off Tortoise model rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from tortoise.models import Model

from crm_graphql.context import Info
from crm_graphql.resolvers.policy import ENTITY_OF, require, require_pii
from crm_graphql.schema.errors import as_graphql_errors


class ModelNode(relay.Node):
    """A GraphQL node whose values are read straight off a Tortoise model row."""

    model: ClassVar[type[Model]]

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls, cls.model))

    @classmethod
    def resolve_id(cls, root: Any, *, info: Info) -> str:
        return str(root.pk)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        keys = []
        for node_id in node_ids:
            try:
                keys.append(int(node_id))
            except ValueError:
                keys.append(0)  # no row has id 0: resolves to null like any unknown id
        with as_graphql_errors():
            require(info.context.viewer, ENTITY_OF[cls.model])
        return await info.context.loaders.by_id(cls.model).load_many(keys)


async def load_one(info: Info, model: type[Model], key: int | None) -> Any:
    """A single related row through the request's loader (None when the key is None or the row is gone)."""
    if key is None:
        return None
    with as_graphql_errors():
        require(info.context.viewer, ENTITY_OF[model])
    return await info.context.loaders.by_id(model).load(key)


def related(model: type[Model], key: str, node_type: Any, description: str) -> Any:
    """A field resolving the row of `model` that the parent's `key` column points at, batched per request."""

    async def resolve(root: Any, info: Info) -> Any:
        return await load_one(info, model, getattr(root, key))

    return strawberry.field(resolver=resolve, description=description, graphql_type=node_type)


def personal(column: str, description: str) -> Any:
    """A field holding personal data: null, with a FORBIDDEN error, for callers without `pii:read`."""

    def resolve(root: Any, info: Info) -> str | None:
        with as_graphql_errors():
            require_pii(info.context.viewer, column)
        value: str | None = getattr(root, column)
        return value

    return strawberry.field(
        resolver=resolve,
        description=f"{description} Personal data: API keys need the `pii:read` scope.",
        graphql_type=str | None,
    )
