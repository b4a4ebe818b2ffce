"""What every mutation returns: the object it wrote, or typed errors the client can act on."""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from typing import Any, TypeVar

import strawberry
from strawberry import relay

from crm_graphql.resolvers.errors import DomainError, NotFound
from crm_graphql.resolvers.validation import InvalidInput

T = TypeVar("T")


@strawberry.enum(description="Why a mutation did not do what was asked.")
class ErrorCode(enum.Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"


@strawberry.type(description="A problem with a mutation's input or with the state it would change.")
class UserError:
    field: str | None = strawberry.field(
        description="Path of the input field at fault, e.g. `email` or `lines.2.quantity`; null for the whole input."
    )
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="What went wrong, for a person.")


def user_errors(error: DomainError) -> list[UserError]:
    problems = error.problems if isinstance(error, InvalidInput) else [error]
    return [UserError(field=p.field, code=ErrorCode[p.code], message=p.message) for p in problems]


async def attempt(write: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """The result of `write`, or the user errors of the expected failure it raised."""
    try:
        return await write, []
    except DomainError as error:
        return None, user_errors(error)


def row_id(node_id: relay.GlobalID, type_name: str, field: str = "id") -> int:
    """The row id of a global ID of `type_name`; NOT_FOUND for another type's or a malformed one."""
    if node_id.type_name != type_name or not node_id.node_id.isdigit():
        raise NotFound(f"No {type_name} with this ID.", field)
    return int(node_id.node_id)


def given(data: Any, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields of a patch input that the client sent (UNSET ones left out), by column name."""
    renames = renames or {}
    values = {}
    for field in data.__strawberry_definition__.fields:
        value = getattr(data, field.python_name)
        if value is not strawberry.UNSET:
            values[renames.get(field.python_name, field.python_name)] = value
    return values


def payload(name: str, field: str, node_type: Any) -> Any:
    """A mutation payload type: the written object under `field`, and the errors (empty on success)."""
    mutation = name.removesuffix("Payload")
    namespace = {
        "__annotations__": {field: node_type | None, "errors": list[UserError]},
        field: strawberry.field(description=f"The {field} as written; null when there are errors."),
        "errors": strawberry.field(description="Why nothing was written; empty on success."),
    }
    description = f"The result of {mutation[0].lower()}{mutation[1:]}."
    return strawberry.type(type(name, (), namespace), description=description)
