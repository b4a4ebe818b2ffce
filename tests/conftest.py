"""Test fixtures: real databases (SQLite always, PostgreSQL when reachable), the real app over HTTP.

Set CRM_REQUIRE_SERVICES=1 to turn "skip when PostgreSQL or Redis is unreachable" into a failure.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis
from tortoise.backends.base.executor import EXECUTOR_CACHE

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.db import migrate
from crm_graphql.models import Role
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.settings import Settings

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("CRM_REQUIRE_SERVICES") == "1"


def require_service(name: str, reachable: bool) -> None:
    """Skip (or fail, when services are required) a test whose server is not there."""
    if reachable:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is unreachable and CRM_REQUIRE_SERVICES=1")
    pytest.skip(f"{name} is unreachable")


def _postgres_reachable() -> bool:
    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"), timeout=2)
        await connection.close()

    try:
        asyncio.run(probe())
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    return True


def _redis_reachable() -> bool:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _admin(dsn: str) -> str:
    return dsn.replace("postgres://", "postgresql://")


async def _create_database(name: str) -> str:
    connection = await asyncpg.connect(_admin(POSTGRES_URL))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(_admin(POSTGRES_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return _postgres_reachable()


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", _redis_reachable())
    return REDIS_URL


@pytest.fixture(scope="session")
def empty_postgres_database(postgres_available: bool) -> Iterator[Any]:
    """A factory of empty PostgreSQL databases, all dropped at the end of the session."""
    require_service("PostgreSQL", postgres_available)
    names: list[str] = []

    def make() -> str:
        names.append(f"crm_test_{uuid.uuid4().hex[:12]}")
        return asyncio.run(_create_database(names[-1]))

    yield make
    for name in names:
        asyncio.run(_drop_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "crm.sqlite3"
    asyncio.run(migrate(Settings(database_url=f"sqlite://{path}")))
    return path


@pytest.fixture(scope="session")
def postgres_migrated(empty_postgres_database: Any) -> str:
    url = empty_postgres_database()
    asyncio.run(migrate(Settings(database_url=url)))
    return url


async def _truncate_all(url: str) -> None:
    connection = await asyncpg.connect(_admin(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, fully migrated database of each kind."""
    # Tortoise caches INSERT/DELETE statements per connection name, not per dialect: a process
    # that switches from SQLite to PostgreSQL under the name "default" must drop them.
    EXECUTOR_CACHE.clear()
    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite://{path}"
    url: str = request.getfixturevalue("postgres_migrated")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, cache_url="memory://")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The real application with its real lifespan (database and cache opened and closed)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def make_key(role: Role, scopes: Any = None, *, email: str | None = None) -> str:
    """A user of `role` and an API key of theirs (the role's scopes unless given); returns the key."""
    user = await models.User.create(
        name=f"Test {role.value}", email=email or f"{role.value}.{uuid.uuid4().hex[:6]}@example.com", role=role
    )
    _, plaintext = await create_api_key(user, "tests", role_scopes(role) if scopes is None else scopes)
    return plaintext


def client_for(app: Any, key: str | None) -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client authenticated as an admin's API key with every scope."""
    async with client_for(app, await make_key(Role.ADMIN, email="admin@example.com")) as http:
        await http.post("/graphql", json={"query": "{ __typename }"})  # records the key's first use
        yield http


class GraphQLClient:
    """Posts GraphQL documents to the app and returns the decoded response."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends to the database (it logs each one at DEBUG)."""

    KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(self.KINDS):
            self.statements.append(message)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def sql() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests ran on each backend, so a CI log shows PostgreSQL and Redis were used."""
    outcomes: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in ("sqlite", "postgres", "redis"):
                if backend in nodeid.lower():
                    tally = outcomes.setdefault(backend, {})
                    tally[outcome] = tally.get(outcome, 0) + 1
    for backend, tally in sorted(outcomes.items()):
        terminalreporter.write_line(f"{backend} tests: " + ", ".join(f"{n} {o}" for o, n in sorted(tally.items())))
