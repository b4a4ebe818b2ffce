"""How failures reach clients: expected ones with a code, unexpected ones masked and logged in full."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext, ExecutionResult

from crm_graphql.resolvers.errors import DATABASE_UNAVAILABLE, DomainError, is_database_outage

logger = logging.getLogger("crm_graphql.errors")


def is_outage(error: GraphQLError) -> bool:
    """True for errors from a database that cannot be reached: the client is told to retry."""
    return error.original_error is not None and is_database_outage(error.original_error)


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors from a Python exception we did not anticipate: those are masked."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and not is_outage(error)


@contextmanager
def as_graphql_errors() -> Iterator[None]:
    """Re-raise a DomainError as a GraphQL error carrying its code and field."""
    try:
        yield
    except DomainError as exc:
        extensions = {"code": exc.code, **({"field": exc.field} if exc.field else {})}
        raise GraphQLError(exc.message, extensions=extensions) from exc


def mask_unexpected_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=is_unexpected, error_message="Unexpected error.")


UNEXPECTED = mask_unexpected_errors()


class CRMSchema(strawberry.Schema):
    """Strawberry's schema, logging unexpected errors in full and the rest at INFO.

    An exception raised before execution (in a schema extension) bypasses MaskErrors: `execute`
    masks those too, so no unexpected error text ever reaches a client.
    """

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            rid = getattr(kwargs.get("context_value"), "request_id", "")
            result.errors = [
                _client_view(e, rid) if is_outage(e) or is_unexpected(e) or _was_masked(e) else e for e in result.errors
            ]
        return result

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        rid = getattr(execution_context and execution_context.context, "request_id", "")
        for error in errors:
            if is_unexpected(error):
                logger.error(
                    "request %s: unexpected error at %s: %s",
                    rid,
                    error.path,
                    error.message,
                    exc_info=error.original_error,
                )
            elif is_outage(error):
                logger.warning("request %s: database unavailable at %s: %r", rid, error.path, error.original_error)
            else:
                logger.info("request %s: error at %s: %s", rid, error.path, error.message)


def _was_masked(error: GraphQLError) -> bool:
    return error.message == UNEXPECTED.error_message and not error.extensions


def _client_view(error: GraphQLError, request_id: str) -> GraphQLError:
    """An outage says to retry; an unexpected error says nothing but the id to quote when reporting it."""
    message, code = (
        (DATABASE_UNAVAILABLE, "DATABASE_UNAVAILABLE")
        if is_outage(error)
        else (UNEXPECTED.error_message, "INTERNAL_ERROR")
    )
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code, "requestId": request_id},
    )
