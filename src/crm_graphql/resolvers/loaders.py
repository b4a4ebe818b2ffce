"""Per-request data loaders: one batched statement per relationship level, whatever the row count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pypika_tortoise.analytics import RowNumber
from strawberry.dataloader import DataLoader
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from crm_graphql.models import AuditEntry, ValueFit
from crm_graphql.resolvers.pagination import Page, PageRequest
from crm_graphql.resolvers.policy import Viewer, scoped


def _parameterized(queryset: QuerySet[Any]) -> tuple[str, list[Any], BaseDBAsyncClient]:
    # Tortoise cannot select FROM a subquery; build its SQL (with the dialect's placeholders) to wrap it.
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    sql, params = queryset.query.get_parameterized_sql()
    return sql, list(params), queryset._db


async def _rows_by_id(viewer: Viewer, model: type[Model], ids: Sequence[int]) -> list[Model | None]:
    found = {row.pk: row for row in await scoped(viewer, model).filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def _value_fits(ids: Sequence[int]) -> list[ValueFit | None]:
    found = {fit.pk: fit for fit in await ValueFit.filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def _pages_by_parent(
    rows: QuerySet[Any], parent_column: str, request: PageRequest, parent_ids: Sequence[int]
) -> list[Page[Any]]:
    # One statement for every parent: number each parent's rows in page order, keep limit + 1.
    if not request.limit:
        return [Page.from_window([], request) for _ in parent_ids]
    model = rows.model
    row_number = RowNumber().over(model._meta.basetable[parent_column])
    for term, direction in request.window_order(model):
        row_number = row_number.orderby(term, order=direction)
    numbered = (
        rows.filter(**{f"{parent_column}__in": list(parent_ids)})
        .filter(request.keyset())
        .annotate(row_number_=row_number)
    )
    sql, params, connection = _parameterized(numbered)
    wrapped = (
        f'SELECT * FROM ({sql}) AS "numbered_" WHERE "row_number_" <= {int(request.limit) + 1} '
        f'ORDER BY "{parent_column}", "row_number_"'
    )
    grouped: dict[int, list[Model]] = defaultdict(list)
    for row in await connection.execute_query_dict(wrapped, params):
        grouped[row[parent_column]].append(model._init_from_db(**row))
    return [Page.from_window(grouped.get(i, []), request) for i in parent_ids]


async def _counts_by_parent(rows: QuerySet[Any], parent_column: str, parent_ids: Sequence[int]) -> list[int]:
    found = (
        await rows.filter(**{f"{parent_column}__in": list(parent_ids)})
        .group_by(parent_column)
        .annotate(count=Count("id"))
        .values(parent_column, "count")
    )
    counts = {row[parent_column]: row["count"] for row in found}
    return [counts.get(i, 0) for i in parent_ids]


class Loaders:
    """The loaders of one request, within its viewer's row scope; never shared across requests, so
    nothing leaks between callers. Callers check entity access (`policy.require`) first."""

    def __init__(self, viewer: Viewer | None) -> None:
        self._viewer = viewer
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    @property
    def viewer(self) -> Viewer:
        assert self._viewer is not None, "check access with policy.require() before loading"
        return self._viewer

    def _get(self, key: tuple[Any, ...], load: Any) -> DataLoader[Any, Any]:
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def by_id(self, model: type[Model]) -> DataLoader[int, Any]:
        """Live rows of `model` by primary key (None where missing or deleted)."""
        return self._get(("id", model), lambda ids: _rows_by_id(self.viewer, model, ids))

    @property
    def value_fit(self) -> DataLoader[int, ValueFit | None]:
        """Value fits by id: derived data, neither row-scoped nor soft-deleted."""
        return self._get(("value-fit",), _value_fits)

    def page_by_parent(
        self, model: type[Model], parent_column: str, request: PageRequest, where: Q, where_key: str
    ) -> DataLoader[int, Page[Any]]:
        """A page of `model` rows for each parent id, for one set of paging and filter arguments.

        `where_key` identifies the filter `where` (Q objects do not compare by value).
        """
        return self._get(
            ("page", model, parent_column, request, where_key),
            lambda ids: _pages_by_parent(scoped(self.viewer, model).filter(where), parent_column, request, ids),
        )

    def count_by_parent(self, model: type[Model], parent_column: str, where: Q, where_key: str) -> DataLoader[int, int]:
        """The number of live `model` rows matching `where` for each parent id."""
        return self._get(
            ("count", model, parent_column, where_key),
            lambda ids: _counts_by_parent(scoped(self.viewer, model).filter(where), parent_column, ids),
        )

    def history_page(self, entity: str, request: PageRequest) -> DataLoader[int, Page[Any]]:
        """A page of the audit entries of each record of `entity` (a GraphQL type name)."""
        entries = AuditEntry.filter(entity=entity)
        return self._get(("history", entity, request), lambda ids: _pages_by_parent(entries, "entity_id", request, ids))

    def history_count(self, entity: str) -> DataLoader[int, int]:
        entries = AuditEntry.filter(entity=entity)
        return self._get(("history-count", entity), lambda ids: _counts_by_parent(entries, "entity_id", ids))
