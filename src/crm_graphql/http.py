"""The GraphQL endpoint: per-request context, offline GraphiQL, GraphQL-over-HTTP media types."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from crm_graphql.context import Context
from crm_graphql.graphiql import graphiql_page
from crm_graphql.logs import CURRENT_REQUEST_ID
from crm_graphql.resolvers.auth import AuthenticationFailed, authenticate
from crm_graphql.resolvers.errors import DATABASE_UNAVAILABLE, is_database_outage
from crm_graphql.resolvers.loaders import Loaders
from crm_graphql.responses import ResponseCache, operation_type
from crm_graphql.schema.tracing import under

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
RATE_WINDOW_SECONDS = 60
REQUEST_ID_HEADER = "x-request-id"
RESPONSE_CACHE_HEADER = "x-response-cache"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
RETRY_AFTER_OUTAGE = 2  # seconds; a database restart or fail-over is over in a few
WS_FORBIDDEN = 4403  # graphql-transport-ws: the server refused connection_init
WS_NO_CREDENTIALS = 'Authentication required: send {"Authorization": "Bearer <API key or token>"} in connection_init.'


def prefers_graphql_response_json(accept: str | None) -> bool:
    """Whether the client ranks the GraphQL response media type above plain JSON.

    No Accept header, `*/*` or only `application/json` keep `application/json`, as the
    graphql-http conformance audit expects from servers that also serve older clients.
    """
    best, best_q = None, -1.0
    for part in (accept or "").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in (GRAPHQL_RESPONSE_JSON, "application/json") and q > best_q:
            best, best_q = media, q
    return best == GRAPHQL_RESPONSE_JSON


def request_id(request: Request | WebSocket) -> str:
    """The id that ties a request to its log lines: the client's `X-Request-ID` when sane, else a new one."""
    if not hasattr(request.state, "request_id"):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.state.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    value: str = request.state.request_id
    return value


def refusal(status: int, message: str, code: str, headers: dict[str, str], **extensions: Any) -> JSONResponse:
    """A request refused before any operation ran, with a GraphQL-shaped body so clients can show why."""
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def database_unavailable() -> JSONResponse:
    """The database could not be reached before the operation started: 503, retry shortly."""
    return refusal(503, DATABASE_UNAVAILABLE, "DATABASE_UNAVAILABLE", {"retry-after": str(RETRY_AFTER_OUTAGE)})


async def graphql_params(request: Request) -> dict[str, Any] | None:
    """The query, operationName and variables of a GET or JSON POST request; None if it has none."""
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        try:
            params["variables"] = json.loads(params.get("variables") or "null")
        except ValueError:
            return None
    elif request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        try:
            params = await request.json()
        except ValueError:
            return None
    else:
        return None
    return params if isinstance(params, dict) and isinstance(params.get("query"), str) else None


def unauthorized(message: str) -> JSONResponse:
    """Refused credentials: 401."""
    return refusal(401, message, "UNAUTHENTICATED", {"www-authenticate": 'Bearer realm="crm-graphql"'})


@dataclass
class SocketContext(Context):
    """A WebSocket's context: Strawberry puts the connection_init payload in `connection_params`."""

    connection_params: dict[str, Any] = field(default_factory=dict)


class SocketAdapter(ASGIWebSocketAdapter):
    async def close(self, code: int, reason: str) -> None:
        # on_ws_connect closes a refused socket with the reason; Strawberry then closes it again.
        if self.ws.application_state is not WebSocketState.DISCONNECTED:
            await super().close(code, reason)


class CRMGraphQL(GraphQL[Context, None]):
    websocket_adapter_class = SocketAdapter

    async def rate_limited(self, request: Request) -> JSONResponse | None:
        """429 once the caller (API key, person or, unauthenticated, address) used up this minute."""
        limit = request.app.state.settings.rate_limit_per_minute
        if not limit:
            return None
        viewer = request.state.viewer
        caller = viewer.actor if viewer else f"ip:{request.client.host if request.client else 'unknown'}"
        if await request.app.state.cache.hit(f"rate:{caller}", RATE_WINDOW_SECONDS) <= limit:
            return None
        retry_after = RATE_WINDOW_SECONDS - int(time.time()) % RATE_WINDOW_SECONDS
        message = f"Rate limit of {limit} requests a minute exceeded."
        return refusal(429, message, "RATE_LIMITED", {"retry-after": str(retry_after)}, limit=limit)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> Context:
        state = request.app.state
        viewer = getattr(request.state, "viewer", None)
        kind = SocketContext if isinstance(request, WebSocket) else Context
        return kind(
            request=request,
            response=response,
            settings=state.settings,
            cache=state.cache,
            viewer=viewer,
            request_id=request_id(request),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket by the `Authorization` entry (any case) of its connection_init payload."""
        params = getattr(context, "connection_params", None) or {}
        authorization = next((v for k, v in params.items() if str(k).lower() == "authorization"), None)
        try:
            viewer = await authenticate(
                authorization if isinstance(authorization, str) else None, context.settings.secret_key
            )
            if viewer is None:
                raise AuthenticationFailed(WS_NO_CREDENTIALS)
        except AuthenticationFailed as exc:
            assert isinstance(context.response, WebSocket)
            await context.response.close(code=WS_FORBIDDEN, reason=exc.message)
            raise ConnectionRejectionError() from exc
        context.viewer, context.loaders = viewer, Loaders(viewer)
        return UNSET

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_page())

    async def answer(self, request: Any, context: Any, root_value: Any) -> Any:
        """Run the operation, or answer a query from the response cache when it is on."""
        responses: ResponseCache | None = getattr(request.app.state, "responses", None)
        params = await graphql_params(request) if responses and isinstance(request, Request) else None
        if responses is None or params is None:
            return await self.traced_run(request, context, root_value)
        kind = operation_type(params["query"], params.get("operationName"))
        key = await responses.key(params, request.state.viewer) if kind == "query" else None
        if key and (body := await responses.get(key)) is not None:
            return Response(body, media_type="application/json", headers={RESPONSE_CACHE_HEADER: "hit"})
        response = await self.traced_run(request, context, root_value)
        if key and response.status_code == 200 and not getattr(request.state, "graphql_errors", True):
            await responses.put(key, bytes(response.body))
            response.headers[RESPONSE_CACHE_HEADER] = "miss"
        if kind == "mutation":
            await responses.written()
        return response

    async def traced_run(self, request: Any, context: Any, root_value: Any) -> Any:
        with under(request.app.state.tracing):
            return await super().run(request, context=context, root_value=root_value)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        payload = await super().process_result(request, result)
        request.state.graphql_errors = bool(result.errors)
        if any((e.extensions or {}).get("code") == "DATABASE_UNAVAILABLE" for e in result.errors or ()):
            request.state.database_unavailable = True
        # Parse, validation and coercion errors carry no path; field errors always do.
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            payload.pop("data", None)
            request.state.graphql_request_error = True
        return payload

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:  # type: ignore[override]
        CURRENT_REQUEST_ID.set(request_id(request))
        if isinstance(request, Request):
            try:
                request.state.viewer = await authenticate(
                    request.headers.get("authorization"), request.app.state.settings.secret_key
                )
            except AuthenticationFailed as exc:
                return unauthorized(exc.message)
            except Exception as exc:
                if not is_database_outage(exc):
                    raise
                logger.warning("request %s: database unavailable during authentication: %r", request_id(request), exc)
                return database_unavailable()
            if refused := await self.rate_limited(request):
                return refused
        response = await self.answer(request, context, root_value)
        if isinstance(response, Response):
            response.headers[REQUEST_ID_HEADER] = request_id(request)
            if getattr(request.state, "database_unavailable", False):
                response.status_code = 503
                response.headers["retry-after"] = str(RETRY_AFTER_OUTAGE)
        if (
            isinstance(request, Request)
            and isinstance(response, Response)
            and response.media_type == "application/json"
            and prefers_graphql_response_json(request.headers.get("accept"))
        ):
            response.media_type = GRAPHQL_RESPONSE_JSON
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        return response
