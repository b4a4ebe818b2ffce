"""Keyset pagination: opaque cursors over the primary key, stable while rows are inserted."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from crm_graphql.resolvers.errors import InvalidArgument

M = TypeVar("M", bound=Model)

CURSOR_PREFIX = "cursor:v1:"
DEFAULT_PAGE_SIZE = 20


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{key}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(CURSOR_PREFIX):
            return int(text.removeprefix(CURSOR_PREFIX))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidArgument(argument, "is not a cursor this API issued")


@dataclass(frozen=True)
class PageRequest:
    """Validated `first`/`after`/`last`/`before` arguments of one connection field."""

    limit: int
    backwards: bool
    after: int | None
    before: int | None

    @classmethod
    def parse(
        cls,
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        max_page_size: int,
    ) -> PageRequest:
        if first is not None and last is not None:
            raise InvalidArgument("first", "cannot be combined with last")
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise InvalidArgument(name, "must not be negative")
            if value is not None and value > max_page_size:
                raise InvalidArgument(name, f"must be at most {max_page_size}, got {value}")
        return cls(
            limit=first if first is not None else last if last is not None else min(DEFAULT_PAGE_SIZE, max_page_size),
            backwards=last is not None,
            after=decode_cursor(after, "after") if after is not None else None,
            before=decode_cursor(before, "before") if before is not None else None,
        )

    def where_sql(self, column: str) -> list[str]:
        """SQL conditions on the key column (values are validated integers)."""
        conditions = []
        if self.after is not None:
            conditions.append(f"{column} > {int(self.after)}")
        if self.before is not None:
            conditions.append(f"{column} < {int(self.before)}")
        return conditions


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of rows in key order, with what the client needs to ask for the next one."""

    rows: Sequence[M]
    has_next_page: bool
    has_previous_page: bool

    @classmethod
    def from_window(cls, rows: Sequence[M], request: PageRequest) -> Page[M]:
        """Build a page from up to `limit + 1` rows fetched in paging direction."""
        more = len(rows) > request.limit
        rows = list(rows[: request.limit])
        if request.backwards:
            rows.reverse()
            return cls(rows, has_next_page=request.before is not None, has_previous_page=more)
        return cls(rows, has_next_page=more, has_previous_page=request.after is not None)

    @property
    def cursors(self) -> list[str]:
        return [encode_cursor(row.pk) for row in self.rows]


async def paginate(queryset: QuerySet[M], request: PageRequest) -> Page[M]:
    """Fetch one page of `queryset` in a single statement."""
    if request.after is not None:
        queryset = queryset.filter(id__gt=request.after)
    if request.before is not None:
        queryset = queryset.filter(id__lt=request.before)
    ordered = queryset.order_by("-id" if request.backwards else "id")
    rows = await ordered.limit(request.limit + 1) if request.limit else []
    return Page.from_window(rows, request)
