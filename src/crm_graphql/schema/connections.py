"""Relay connections with keyset cursors, at the root and under a parent row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry import relay
from tortoise.models import Model

from crm_graphql.context import Info
from crm_graphql.resolvers.filters import compile_filter, spec_key
from crm_graphql.resolvers.pagination import Page, PageRequest, paginate
from crm_graphql.resolvers.policy import ENTITY_OF, require, scoped
from crm_graphql.schema.errors import as_graphql_errors
from crm_graphql.schema.filters import filter_spec, sort_keys

N = TypeVar("N")

First = Annotated[
    int | None,
    strawberry.argument(description="Return at most this many items from the start (after `after`)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return items after this cursor (an `endCursor` or edge `cursor`)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(description="Return at most this many items from the end (before `before`)."),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Return items before this cursor (a `startCursor` or edge `cursor`)."),
]


@strawberry.type(description="One item of a connection, with the cursor that points at it.")
class Edge(Generic[N]):
    node: N = strawberry.field(description="The item.")
    page: strawberry.Private[Page[Any]]
    index: strawberry.Private[int]

    @strawberry.field(description="Opaque position of this item; pass it as `after` or `before`.")
    def cursor(self) -> str:
        # Encoded only when asked for: most queries walk nodes and never read an edge's cursor.
        return self.page.cursor(self.index) or ""


@strawberry.type(description="A page of items with Relay cursors (keyset-based: stable while rows are added).")
class Connection(Generic[N]):
    # Each part is fetched only when selected: `{ totalCount }` alone costs one COUNT.
    page_source: strawberry.Private[Callable[[], Awaitable[Page[Any]]]]
    count_source: strawberry.Private[Callable[[], Awaitable[int]]]
    page_task: strawberry.Private[asyncio.Future[Page[Any]] | None] = None
    node: strawberry.Private[Callable[[Any], Any] | None] = None  # row -> item, when items are not the rows

    async def _page(self) -> Page[Any]:
        if self.page_task is None:
            self.page_task = asyncio.ensure_future(self.page_source())
        return await self.page_task

    @strawberry.field(description="The items of this page, in order, with their cursors.")
    async def edges(self) -> list[Edge[N]]:
        page = await self._page()
        wrap = self.node or (lambda row: row)
        return [Edge(node=wrap(row), page=page, index=i) for i, row in enumerate(page.rows)]

    @strawberry.field(description="Where this page sits and how to fetch the next one.")
    async def page_info(self) -> relay.PageInfo:
        page = await self._page()
        return relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursor(0),
            end_cursor=page.cursor(-1),
        )

    @strawberry.field(description="Number of items across all pages (computed only when asked for).")
    async def total_count(self) -> int:
        return await self.count_source()


def connection(
    model: type[Model],
    node_type: Any,
    description: str,
    *,
    filter_type: Any,
    order_type: Any,
    parent_column: str | None = None,
) -> Any:
    """A connection field over the live rows of `model` that match its `filter`, in `orderBy` order:
    all of them at the root, or those whose `parent_column` points at the parent row (batched with
    every sibling in the request)."""

    def resolve(
        root: Any,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> Connection[Any]:
        with as_graphql_errors():
            viewer = require(info.context.viewer, ENTITY_OF[model])
            spec = filter_spec(filter)
            where = compile_filter(viewer, model, spec)
            request = PageRequest.parse(
                model,
                first=first,
                after=after,
                last=last,
                before=before,
                order=sort_keys(order_by),
                max_page_size=info.context.settings.max_page_size,
            )
        if parent_column is None:
            queryset = scoped(viewer, model).filter(where)
            return Connection(page_source=lambda: paginate(queryset, request), count_source=queryset.count)
        loaders, key = info.context.loaders, spec_key(spec)
        return Connection(
            page_source=lambda: loaders.page_by_parent(model, parent_column, request, where, key).load(root.pk),
            count_source=lambda: loaders.count_by_parent(model, parent_column, where, key).load(root.pk),
        )

    resolve.__annotations__["filter"] = Annotated[
        filter_type | None, strawberry.argument(description="Only items matching all these conditions.")
    ]
    resolve.__annotations__["order_by"] = Annotated[
        list[order_type] | None,
        strawberry.argument(description="Sort keys, most significant first (default: by ID, oldest first)."),
    ]
    # Nullable, so that a denied or failed list nulls only itself, not the object holding it.
    return strawberry.field(resolver=resolve, description=description, graphql_type=Connection[node_type] | None)
