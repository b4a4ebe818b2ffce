"""Keyset pagination: opaque cursors over the sort keys plus the primary key.

A cursor holds the sort-key values of its row, so the next page starts strictly after that row
whatever is inserted or deleted meanwhile: no row is skipped or repeated, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from pypika_tortoise.enums import Order as Direction
from pypika_tortoise.terms import Term
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from crm_graphql.resolvers.errors import InvalidArgument

M = TypeVar("M", bound=Model)

CURSOR_VERSION = 2
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering; `id` is always appended as the last, unique key."""

    column: str
    descending: bool = False

    @property
    def spec(self) -> str:
        return f"-{self.column}" if self.descending else self.column


ID_ORDER = (SortKey("id"),)


def with_tie_breaker(keys: Sequence[SortKey]) -> tuple[SortKey, ...]:
    """The ordering with `id` last, so that every row has a distinct position."""
    kept = tuple(k for k in keys if k.column != "id")
    return (*kept, next((k for k in keys if k.column == "id"), SortKey("id")))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _signature(order: Sequence[SortKey]) -> str:
    return ",".join(k.spec for k in order)


def encode_cursor(row: Model, order: Sequence[SortKey]) -> str:
    values = [_plain(getattr(row, k.column)) for k in order]
    payload = json.dumps([CURSOR_VERSION, _signature(order), *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_cursor(cursor: str, argument: str, model: type[Model], order: Sequence[SortKey]) -> tuple[Any, ...]:
    try:
        version, signature, *values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidArgument(argument, "is not a cursor this API issued") from None
    if version != CURSOR_VERSION:
        raise InvalidArgument(argument, "is not a cursor this API issued")
    if signature != _signature(order):
        raise InvalidArgument(argument, "was issued for a different orderBy; start again without a cursor")
    if len(values) != len(order):
        raise InvalidArgument(argument, "is not a cursor this API issued")
    fields = model._meta.fields_map
    try:
        return tuple(fields[k.column].to_python_value(v) for k, v in zip(order, values, strict=True))
    except (ValueError, TypeError):
        raise InvalidArgument(argument, "is not a cursor this API issued") from None


def _beyond(order: Sequence[SortKey], values: Sequence[Any], forward: bool) -> Q:
    """Rows strictly after (`forward`) or before the position `values` in `order`."""
    alternatives = []
    for i, key in enumerate(order):
        ascending = not key.descending if forward else key.descending
        condition = {f"{k.column}": v for k, v in zip(order[:i], values[:i], strict=True)}
        condition[f"{key.column}__{'gt' if ascending else 'lt'}"] = values[i]
        alternatives.append(Q(**condition))
    return Q(*alternatives, join_type=Q.OR)


@dataclass(frozen=True)
class PageRequest:
    """Validated paging arguments of one connection field: size, direction, order and cursors."""

    limit: int
    backwards: bool
    order: tuple[SortKey, ...]
    after: tuple[Any, ...] | None
    before: tuple[Any, ...] | None

    @classmethod
    def parse(
        cls,
        model: type[Model],
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        order: Sequence[SortKey] = ID_ORDER,
        max_page_size: int,
    ) -> PageRequest:
        if first is not None and last is not None:
            raise InvalidArgument("first", "cannot be combined with last")
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise InvalidArgument(name, "must not be negative")
            if value is not None and value > max_page_size:
                raise InvalidArgument(name, f"must be at most {max_page_size}, got {value}")
        full_order = with_tie_breaker(order)
        return cls(
            limit=first if first is not None else last if last is not None else min(DEFAULT_PAGE_SIZE, max_page_size),
            backwards=last is not None,
            order=full_order,
            after=decode_cursor(after, "after", model, full_order) if after is not None else None,
            before=decode_cursor(before, "before", model, full_order) if before is not None else None,
        )

    @property
    def fetch_order(self) -> tuple[SortKey, ...]:
        """The order rows are fetched in: reversed when paging backwards from the end."""
        if not self.backwards:
            return self.order
        return tuple(SortKey(k.column, not k.descending) for k in self.order)

    def keyset(self) -> Q:
        """The cursor conditions (an empty Q when there is no cursor)."""
        conditions = []
        if self.after is not None:
            conditions.append(_beyond(self.order, self.after, forward=True))
        if self.before is not None:
            conditions.append(_beyond(self.order, self.before, forward=False))
        return Q(*conditions)

    def window_order(self, model: type[Model]) -> list[tuple[Term, Direction]]:
        table = model._meta.basetable
        return [(table[k.column], Direction.desc if k.descending else Direction.asc) for k in self.fetch_order]


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of rows in the requested order, with what the client needs to ask for the next one."""

    rows: Sequence[M]
    has_next_page: bool
    has_previous_page: bool
    order: tuple[SortKey, ...]

    @classmethod
    def from_window(cls, rows: Sequence[M], request: PageRequest) -> Page[M]:
        """Build a page from up to `limit + 1` rows fetched in `request.fetch_order`."""
        more = len(rows) > request.limit
        rows = list(rows[: request.limit])
        if request.backwards:
            rows.reverse()
            return cls(rows, request.before is not None, more, request.order)
        return cls(rows, more, request.after is not None, request.order)

    def cursor(self, index: int) -> str | None:
        """The cursor of row `index` (negative counts from the end), or None on an empty page."""
        return encode_cursor(self.rows[index], self.order) if self.rows else None


async def paginate(queryset: QuerySet[M], request: PageRequest) -> Page[M]:
    """Fetch one page of `queryset` in a single statement."""
    if not request.limit:
        return Page.from_window([], request)
    ordered = queryset.filter(request.keyset()).order_by(*(k.spec for k in request.fetch_order))
    return Page.from_window(await ordered.limit(request.limit + 1), request)
