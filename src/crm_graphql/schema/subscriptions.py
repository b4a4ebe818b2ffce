"""Root subscription fields: live updates over graphql-transport-ws, authenticated in connection_init.

Each event of a committed change is re-read through the viewer's loaders, so a subscriber receives
the row exactly as a query would return it now: within its row scope, never a deleted row, and
personal data only with `pii:read`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.errors import NotFound
from crm_graphql.resolvers.events import Event, EventBus
from crm_graphql.resolvers.loaders import Loaders
from crm_graphql.resolvers.policy import ENTITY_OF, require
from crm_graphql.schema.customers import Customer
from crm_graphql.schema.errors import as_graphql_errors
from crm_graphql.schema.mutations.payloads import row_id
from crm_graphql.schema.nodes import ModelNode, load_one
from crm_graphql.schema.sales import Order
from crm_graphql.schema.service import Ticket


async def watch(
    info: Info, node_type: type[ModelNode], names: frozenset[str], id: relay.GlobalID | None = None
) -> AsyncGenerator[Any, None]:
    """The rows of `node_type` named by events `names` (of one row when `id` is given), as the viewer reads them."""
    model, entity = node_type.model, node_type.__name__
    bus: EventBus = info.context.request.app.state.events
    with as_graphql_errors():
        viewer = require(info.context.viewer, ENTITY_OF[model])
        pk = None if id is None else row_id(id, entity)
        if pk is not None and await load_one(info, model, pk) is None:
            raise NotFound(f"No {entity} with this ID.", "id")

    def wants(event: Event) -> bool:
        return event.entity == entity and event.name in names and pk in (None, event.entity_id)

    with as_graphql_errors():
        async with bus.subscribe(wants) as events:
            async for event in events:
                # A fresh loader per event: one caches rows by id, and this row has just changed.
                info.context.loaders = Loaders(viewer)
                row = await load_one(info, model, event.entity_id)
                if row is not None:  # deleted, or outside the viewer's row scope
                    yield row


TicketArgument = Annotated[
    relay.GlobalID | None,
    strawberry.argument(description="Only this ticket; every ticket you may read when omitted."),
]
CustomerArgument = Annotated[
    relay.GlobalID | None,
    strawberry.argument(description="Only this customer; every customer you may read when omitted."),
]


@strawberry.type(
    description=(
        "Live updates over WebSocket (graphql-transport-ws). Authenticate in `connection_init` with the "
        'payload `{"Authorization": "Bearer <API key or token>"}`. Each update is the current object, '
        "read with your permissions once its change has committed. Every change committed after you subscribe "
        "arrives; one committed just before may too. An UNAVAILABLE error ends a subscription "
        "that could no longer promise that: subscribe again and re-read."
    )
)
class Subscription:
    @strawberry.subscription(
        description="A ticket after each change to it (not its creation); deleted tickets are left out."
    )
    def ticket_updated(self, info: Info, id: TicketArgument = None) -> AsyncGenerator[Ticket, None]:
        return watch(info, Ticket, frozenset({"ticket.updated"}), id)

    @strawberry.subscription(description="Each new order you may read, with its lines, once it is created.")
    def order_created(self, info: Info) -> AsyncGenerator[Order, None]:
        return watch(info, Order, frozenset({"order.created"}))

    @strawberry.subscription(
        description="A customer once created and after each change to it; deleted customers are left out."
    )
    def customer_changed(self, info: Info, id: CustomerArgument = None) -> AsyncGenerator[Customer, None]:
        return watch(info, Customer, frozenset({"customer.created", "customer.updated"}), id)
