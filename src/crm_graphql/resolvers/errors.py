"""Expected failures, each with a machine-readable code; the schema turns them into typed errors."""

from __future__ import annotations


class DomainError(Exception):
    """A failure the client can fix; its message is safe to show."""

    code = "INVALID"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError):
    """An argument of a query field is out of range or malformed."""

    code = "INVALID_ARGUMENT"

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"Argument '{argument}' {problem}.", field=argument)


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    """The record changed since the client read it: nothing was written."""

    code = "CONFLICT"


class Duplicate(DomainError):
    """Another record already has this unique value."""

    code = "DUPLICATE"
