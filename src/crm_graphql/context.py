"""Per-request state handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from crm_graphql.resolvers.cache import Cache
from crm_graphql.resolvers.loaders import Loaders
from crm_graphql.resolvers.policy import Viewer
from crm_graphql.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    cache: Cache
    viewer: Viewer | None
    request_id: str = ""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.viewer)


Info = strawberry.Info[Context, None]
