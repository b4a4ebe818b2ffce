"""Expected failures, each with a machine-readable code; the schema turns them into typed errors."""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import DBConnectionError

DATABASE_UNAVAILABLE = "The database is unavailable; retry in a few seconds."

# What reaching an unavailable database raises: refused or lost connections, a server shutting down
# or starting up, a statement or connect that ran past CRM_DATABASE_TIMEOUT.
_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # A connection the server ended while it sat in the pool fails its next statement with this
    # (MagicStack/asyncpg#1069; SQLAlchemy counts it as a disconnect too, sqlalchemy#13241).
    asyncpg.InternalClientError,
)


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


def is_database_outage(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says the database cannot be reached now."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _OUTAGES):
            return True
        # asyncpg's only signal that a pooled connection died under a statement or transaction
        if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
