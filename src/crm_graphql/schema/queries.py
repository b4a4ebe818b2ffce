"""Root query fields: one connection and one look-up per entity, plus Relay's node fields."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.schema.access import User
from crm_graphql.schema.connections import connection
from crm_graphql.schema.customers import Customer, Product
from crm_graphql.schema.marketing import Campaign
from crm_graphql.schema.nodes import ModelNode, load_one
from crm_graphql.schema.sales import Order
from crm_graphql.schema.service import Ticket, Visit

GlobalIDArgument = Annotated[
    relay.GlobalID, strawberry.argument(description="The object's global ID, as returned in its `id` field.")
]


async def _by_global_id(info: Info, node_type: type[ModelNode], id: relay.GlobalID) -> Any:
    if id.type_name != node_type.__name__ or not id.node_id.isdigit():
        return None
    return await load_one(info, node_type.model, int(id.node_id))


def _lookup(node_type: type[ModelNode], noun: str) -> Any:
    async def resolve(info: Info, id: GlobalIDArgument) -> Any:
        return await _by_global_id(info, node_type, id)

    return strawberry.field(
        resolver=resolve,
        description=f"The {noun} with this ID, or null if there is none (or it was deleted).",
        graphql_type=node_type | None,
    )


@strawberry.type(description="Everything that can be read from the CRM.")
class Query:
    node: relay.Node | None = relay.node(description="Any object by its global ID, or null if there is none.")
    nodes: list[relay.Node | None] = relay.node(description="Several objects by their global IDs, in the same order.")

    customer = _lookup(Customer, "customer")
    customers = connection(
        models.Customer, Customer, "All customers, oldest first, a page at a time (deleted ones are left out)."
    )
    product = _lookup(Product, "product")
    products = connection(
        models.Product, Product, "All products, oldest first, a page at a time (deleted ones are left out)."
    )
    order = _lookup(Order, "order")
    orders = connection(models.Order, Order, "All orders, oldest first, a page at a time (deleted ones are left out).")
    visit = _lookup(Visit, "visit")
    visits = connection(models.Visit, Visit, "All visits, oldest first, a page at a time (deleted ones are left out).")
    ticket = _lookup(Ticket, "ticket")
    tickets = connection(
        models.Ticket, Ticket, "All tickets, oldest first, a page at a time (deleted ones are left out)."
    )
    campaign = _lookup(Campaign, "campaign")
    campaigns = connection(
        models.Campaign, Campaign, "All campaigns, oldest first, a page at a time (deleted ones are left out)."
    )
    user = _lookup(User, "user")
    users = connection(models.User, User, "All users, oldest first, a page at a time (deleted ones are left out).")
