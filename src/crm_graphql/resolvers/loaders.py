"""Per-request data loaders: one batched statement per relationship level, whatever the row count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.functions import Count
from tortoise.models import Model

from crm_graphql.resolvers.pagination import Page, PageRequest


def live(model: type[Model]) -> Any:
    """All rows of `model` that are not soft-deleted."""
    return model.filter(deleted_at__isnull=True)


async def _rows_by_id(model: type[Model], ids: Sequence[int]) -> list[Model | None]:
    found = {row.pk: row for row in await live(model).filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def _pages_by_parent(
    model: type[Model], parent_column: str, request: PageRequest, parent_ids: Sequence[int]
) -> list[Page[Any]]:
    # One statement for every parent: number each parent's rows in key order, keep limit + 1.
    table = model._meta.db_table
    direction = "DESC" if request.backwards else "ASC"
    where = [
        f'"{parent_column}" IN ({", ".join(str(int(i)) for i in parent_ids)})',
        '"deleted_at" IS NULL',
        *request.where_sql('"id"'),
    ]
    sql = (
        f'SELECT * FROM (SELECT "{table}".*, ROW_NUMBER() OVER '
        f'(PARTITION BY "{parent_column}" ORDER BY "id" {direction}) AS "row_number_" '
        f'FROM "{table}" WHERE {" AND ".join(where)}) AS "numbered_" '
        f'WHERE "row_number_" <= {int(request.limit) + 1} ORDER BY "{parent_column}", "row_number_"'
    )
    grouped: dict[int, list[Model]] = defaultdict(list)
    rows: list[Model] = await model.raw(sql) if request.limit else []
    for row in rows:
        grouped[getattr(row, parent_column)].append(row)
    return [Page.from_window(grouped.get(i, []), request) for i in parent_ids]


async def _counts_by_parent(model: type[Model], parent_column: str, parent_ids: Sequence[int]) -> list[int]:
    rows = (
        await live(model)
        .filter(**{f"{parent_column}__in": parent_ids})
        .group_by(parent_column)
        .annotate(count=Count("id"))
        .values(parent_column, "count")
    )
    counts = {row[parent_column]: row["count"] for row in rows}
    return [counts.get(i, 0) for i in parent_ids]


class Loaders:
    """The loaders of one request; never shared across requests, so nothing leaks between callers."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    def _get(self, key: tuple[Any, ...], load: Any) -> DataLoader[Any, Any]:
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def by_id(self, model: type[Model]) -> DataLoader[int, Any]:
        """Live rows of `model` by primary key (None where missing or deleted)."""
        return self._get(("id", model), lambda ids: _rows_by_id(model, ids))

    def page_by_parent(
        self, model: type[Model], parent_column: str, request: PageRequest
    ) -> DataLoader[int, Page[Any]]:
        """A page of `model` rows for each parent id, for one set of paging arguments."""
        return self._get(
            ("page", model, parent_column, request),
            lambda ids: _pages_by_parent(model, parent_column, request, ids),
        )

    def count_by_parent(self, model: type[Model], parent_column: str) -> DataLoader[int, int]:
        """The number of live `model` rows for each parent id."""
        return self._get(("count", model, parent_column), lambda ids: _counts_by_parent(model, parent_column, ids))
