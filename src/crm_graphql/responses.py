"""The opt-in response cache (CRM_RESPONSE_CACHE_SECONDS): identical queries answered without executing.

A response is stored under the query document, operation name and variables, the caller's
permissions and the current data version. Every mutation bumps the data version once it has run
(its writes committed), on every replica sharing the cache, so no response cached before a write is
read after it. Only whole successes are stored: a response with any error is computed every time.
Writes that do not pass through the API (the command line's import, SQL by hand) are seen when the
entries expire, after CRM_RESPONSE_CACHE_SECONDS at most.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse

from crm_graphql.resolvers.cache import DATA_VERSION, Cache
from crm_graphql.resolvers.policy import Viewer

MAX_BODY_BYTES = 1_000_000  # a bigger response is cheaper to compute again than to keep


MAX_REMEMBERED_DOCUMENT = 20_000  # characters; longer documents are parsed each time, not kept


def operation_type(document: str, operation_name: str | None) -> str | None:
    """`query`, `mutation` or `subscription`: the kind of operation a request runs (None if it runs none)."""
    if len(document) > MAX_REMEMBERED_DOCUMENT:
        return _operation_type.__wrapped__(document, operation_name)
    return _operation_type(document, operation_name)


@lru_cache(maxsize=1024)
def _operation_type(document: str, operation_name: str | None) -> str | None:
    try:
        operations = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    except GraphQLError:
        return None
    if operation_name is None:
        return operations[0].operation.value if len(operations) == 1 else None
    named = [o for o in operations if o.name is not None and o.name.value == operation_name]
    return named[0].operation.value if named else None


def _permissions(viewer: Viewer | None) -> str:
    if viewer is None:
        return "anonymous"
    scopes = ",".join(sorted(viewer.scopes)) if viewer.scopes is not None else "role"
    return f"{viewer.user_id}:{viewer.role.value}:{scopes}"


class ResponseCache:
    def __init__(self, cache: Cache, seconds: int) -> None:
        self.cache, self.seconds = cache, seconds

    async def key(self, params: dict[str, Any], viewer: Viewer | None) -> str:
        """The key of a query's response for this caller at the current data version."""
        request = json.dumps(
            [params.get("query"), params.get("operationName"), params.get("variables") or {}, _permissions(viewer)],
            sort_keys=True,
            separators=(",", ":"),
        )
        digest = hashlib.sha256(request.encode()).hexdigest()
        return f"response:{await self.cache.version(DATA_VERSION)}:{digest}"

    async def get(self, key: str) -> bytes | None:
        body: bytes | None = await self.cache.get(key)
        return body

    async def put(self, key: str, body: bytes) -> None:
        if len(body) <= MAX_BODY_BYTES:
            await self.cache.put(key, body, self.seconds)

    async def written(self) -> None:
        """A mutation ran: every response cached so far may be out of date."""
        await self.cache.bump(DATA_VERSION)
