"""Database lifecycle: migrations, readiness and the errors a user can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError, DBConnectionError
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from crm_graphql.settings import Settings


class DatabaseUnavailable(Exception):
    """The database URL is malformed or the database cannot be reached."""


def _explain(settings: Settings, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"cannot use database {settings.redacted_database_url}: {exc or type(exc).__name__}")


# What closing raises for a connection that a malformed or unreachable URL never opened.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConfigurationError,
    DBConnectionError,
    OSError,
    ValueError,
    KeyError,
)


async def migrate(settings: Settings, progress: Callable[[str, str, str], object] | None = None) -> None:
    """Apply every migration not yet applied to the configured database."""
    # Connect once first: Tortoise 1.1.9 keeps a connection lock held when the migration's own
    # first connect fails, and the next statement then waits forever.
    async with connected(settings):
        pass
    try:
        await tortoise_migrate(config=settings.tortoise_config(), progress=progress)
    finally:
        await _close()


def _check_sqlite_directory(settings: Settings) -> None:
    # aiosqlite reports a failed open from its worker thread, after the event loop may be gone:
    # catch the common case (a missing directory) before connecting.
    if not settings.database_url.startswith("sqlite://"):
        return
    path = settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path != ":memory:" and not Path(path).parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot use database {settings.database_url}: directory {Path(path).parent} does not exist"
        )


async def _close() -> None:
    # Closing builds any connection not yet made, so a bad URL fails here again: it was reported already.
    with suppress(*CONNECTION_ERRORS):
        await Tortoise.close_connections()


async def pending_migrations(config: dict[str, Any]) -> list[Any]:
    """Migration writers for model changes that no migration file covers yet."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None  # set by init()
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[None]:
    """Open the ORM on the configured database for a command-line task."""
    _check_sqlite_directory(settings)
    try:
        await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
        await Tortoise.get_connection("default").execute_query("SELECT 1")
    except Exception as exc:  # nothing but an unusable database makes SELECT 1 fail
        await _close()
        raise _explain(settings, exc) from exc
    try:
        yield
    finally:
        await _close()
