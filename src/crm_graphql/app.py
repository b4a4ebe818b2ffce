"""The Starlette application: routes, lifespan and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from crm_graphql.graphiql import STATIC_DIR, STATIC_URL
from crm_graphql.http import CRMGraphQL
from crm_graphql.metrics import metrics
from crm_graphql.resolvers.cache import Cache
from crm_graphql.resolvers.events import event_bus
from crm_graphql.resolvers.routing import PRIMARY, REPLICA
from crm_graphql.resolvers.values import refresh_values_every
from crm_graphql.resolvers.webhooks import WebhookDispatcher
from crm_graphql.responses import ResponseCache
from crm_graphql.schema import schema
from crm_graphql.schema.tracing import Tracing
from crm_graphql.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def _answers(connection: str) -> str:
    try:
        await Tortoise.get_connection(connection).execute_query("SELECT 1")
        return "ok"
    except Exception as exc:
        logger.warning("readiness: database connection %r unreachable: %r", connection, exc)
        return "unreachable"


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers; degraded (still 200) when only the cache or the read replica does not."""
    checks = {"database": await _answers(PRIMARY)}
    if request.app.state.settings.read_replica_url:
        checks["replica"] = await _answers(REPLICA)
    checks["cache"] = "ok" if await request.app.state.cache.ping() else "unreachable"
    if checks["database"] != "ok":
        return JSONResponse({"status": "unavailable", **checks}, status_code=503)
    status = "ready" if all(check == "ok" for check in checks.values()) else "degraded"
    return JSONResponse({"status": status, **checks})


async def index(request: Request) -> RedirectResponse:
    return RedirectResponse("/graphql")


@asynccontextmanager
async def background(
    name: str, run: Callable[[asyncio.Event], Coroutine[Any, Any, None]], grace: float
) -> AsyncIterator[None]:
    """Run `run(stop)` as a task while the app runs; at shutdown set `stop` and allow `grace` seconds."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        with suppress(TimeoutError):
            await asyncio.wait_for(task, grace)  # cancels the task when the grace runs out


@asynccontextmanager
async def webhook_dispatcher(settings: Settings) -> AsyncIterator[None]:
    """Deliver partner webhooks in the background while the app runs.

    Safe on every replica at once: deliveries are claimed in the database.
    """
    dispatcher = WebhookDispatcher(max_attempts=settings.webhook_max_attempts, timeout=settings.webhook_timeout)
    # Let the current round finish; a cancelled request is safe (its claim expires, it is retried).
    grace = settings.webhook_timeout + 5
    try:
        async with background("webhook-dispatcher", partial(dispatcher.run, interval=settings.webhook_interval), grace):
            yield
    finally:
        await dispatcher.aclose()


def create_app(settings: Settings | None = None, *, tracer_provider: TracerProvider | None = None) -> Starlette:
    """Build the app; with no settings given they are read from the environment.

    With `settings.tracing` on, spans go to `tracer_provider`, by default OpenTelemetry's global one.
    """
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=settings.tortoise_config()):
            app.state.cache = Cache.from_url(settings.cache_url, settings.deployment)
            seconds = settings.response_cache_seconds
            app.state.responses = ResponseCache(app.state.cache, seconds) if seconds > 0 else None
            app.state.events = event_bus(settings)
            try:
                await app.state.events.start()
                async with AsyncExitStack() as tasks:
                    if settings.webhook_dispatcher:
                        await tasks.enter_async_context(webhook_dispatcher(settings))
                    if settings.analytics_refresh_hours > 0:
                        refresh = partial(
                            refresh_values_every,
                            app.state.cache,
                            settings.analytics_refresh_hours,
                        )
                        await tasks.enter_async_context(background("value-refresh", refresh, grace=5))
                    yield
            finally:
                await app.state.events.close()
                await app.state.cache.close()

    graphql = CRMGraphQL(schema, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
    app = Starlette(
        debug=settings.debug,
        routes=[
            Route("/", index),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="graphiql"),
            *([Route("/metrics", metrics)] if settings.metrics else []),
        ],
        lifespan=lifespan,
        max_body_size=settings.max_body_size,
    )
    app.state.settings = settings
    app.state.tracing = Tracing(tracer_provider) if settings.tracing else None
    return app
