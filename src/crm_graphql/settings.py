"""Configuration, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.config import Config
from tortoise.backends.base.config_generator import expand_db_url

from crm_graphql.models import MODEL_MODULES
from crm_graphql.resolvers.routing import PRIMARY, REPLICA, ReadRouter

DEFAULT_DATABASE_URL = "sqlite://crm.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; see the table in README.md."""

    database_url: str = DEFAULT_DATABASE_URL
    read_replica_url: str | None = None
    database_timeout: float = 10.0
    cache_url: str = "memory://"
    cache_ttl: int = 300
    response_cache_seconds: int = 0
    max_body_size: int = 1_000_000
    max_page_size: int = 100
    secret_key: str | None = None
    token_ttl_hours: int = 12
    introspection: bool = True
    max_query_cost: int = 50_000
    phone_region: str | None = "DE"
    rate_limit_per_minute: int = 1_200
    webhook_dispatcher: bool = False
    webhook_interval: float = 1.0
    webhook_timeout: float = 5.0
    webhook_max_attempts: int = 8
    analytics_refresh_hours: float = 0.0
    metrics: bool = True
    tracing: bool = False
    log_format: str = "text"
    debug: bool = False

    @classmethod
    def from_env(cls, env_file: str | None = ".env") -> Settings:
        config = Config(env_file if env_file and Path(env_file).is_file() else None)
        return cls(
            database_url=config("CRM_DATABASE_URL", default=DEFAULT_DATABASE_URL),
            read_replica_url=config("CRM_READ_REPLICA_URL", default=None) or None,
            database_timeout=config("CRM_DATABASE_TIMEOUT", cast=float, default=10.0),
            cache_url=config("CRM_CACHE_URL", default="memory://"),
            cache_ttl=config("CRM_CACHE_TTL", cast=int, default=300),
            response_cache_seconds=config("CRM_RESPONSE_CACHE_SECONDS", cast=int, default=0),
            max_body_size=config("CRM_MAX_BODY_SIZE", cast=int, default=1_000_000),
            max_page_size=config("CRM_MAX_PAGE_SIZE", cast=int, default=100),
            secret_key=config("CRM_SECRET_KEY", default=None),
            token_ttl_hours=config("CRM_TOKEN_TTL_HOURS", cast=int, default=12),
            introspection=config("CRM_INTROSPECTION", cast=bool, default=True),
            max_query_cost=config("CRM_MAX_QUERY_COST", cast=int, default=50_000),
            phone_region=config("CRM_PHONE_REGION", default="DE") or None,
            rate_limit_per_minute=config("CRM_RATE_LIMIT_PER_MINUTE", cast=int, default=1_200),
            webhook_dispatcher=config("CRM_WEBHOOK_DISPATCHER", cast=bool, default=False),
            webhook_interval=config("CRM_WEBHOOK_INTERVAL", cast=float, default=1.0),
            webhook_timeout=config("CRM_WEBHOOK_TIMEOUT", cast=float, default=5.0),
            webhook_max_attempts=config("CRM_WEBHOOK_MAX_ATTEMPTS", cast=int, default=8),
            analytics_refresh_hours=config("CRM_ANALYTICS_REFRESH_HOURS", cast=float, default=0.0),
            metrics=config("CRM_METRICS", cast=bool, default=True),
            tracing=config("CRM_TRACING", cast=bool, default=False),
            log_format=config("CRM_LOG_FORMAT", default="text"),
            debug=config("CRM_DEBUG", cast=bool, default=False),
        )

    def tortoise_config(self) -> dict[str, Any]:
        connections = {PRIMARY: self._connection(self.database_url)}
        if self.read_replica_url:
            connections[REPLICA] = self._connection(self.read_replica_url)
        return {
            "connections": connections,
            "apps": {
                "models": {
                    "models": MODEL_MODULES,
                    "default_connection": PRIMARY,
                    "migrations": "crm_graphql.migrations",
                }
            },
            "routers": [ReadRouter] if self.read_replica_url else [],
            "use_tz": True,
            "timezone": "UTC",
        }

    def _connection(self, url: str) -> str | dict[str, Any]:
        """A PostgreSQL URL with the timeouts applied to connecting and to every statement.

        Without them a request would wait on a database that does not answer for as long as the
        operating system keeps the connection open; with them it fails with DATABASE_UNAVAILABLE.
        """
        config = expand_db_url(url)
        if config["engine"] != "tortoise.backends.asyncpg":
            return url
        credentials = config["credentials"]
        credentials.setdefault("timeout", self.database_timeout)  # connect
        credentials.setdefault("command_timeout", self.database_timeout)
        return config

    @property
    def deployment(self) -> str:
        """A short digest of the database URL: deployments on different databases may share one Redis."""
        return hashlib.sha256(self.database_url.encode()).hexdigest()[:16]

    @property
    def redacted_database_url(self) -> str:
        """The database URL without its password, safe for logs and error messages."""
        return _redact(self.database_url)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
