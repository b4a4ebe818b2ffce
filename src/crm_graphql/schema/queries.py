"""Root query fields: one connection and one look-up per entity, plus Relay's node fields."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.schema.access import User, UserFilter, UserOrder
from crm_graphql.schema.connections import connection
from crm_graphql.schema.customers import Customer, CustomerFilter, CustomerOrder, Product, ProductFilter, ProductOrder
from crm_graphql.schema.forecasts import ForecastQueries
from crm_graphql.schema.marketing import Campaign, CampaignFilter, CampaignOrder
from crm_graphql.schema.mutations.access import WebhookQueries
from crm_graphql.schema.nodes import ModelNode, load_one
from crm_graphql.schema.reports import ReportsQuery
from crm_graphql.schema.sales import Order, OrderFilter, OrderOrder
from crm_graphql.schema.service import Ticket, TicketFilter, TicketOrder, Visit, VisitFilter, VisitOrder
from crm_graphql.schema.value import ValueQueries

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
class Query(ReportsQuery, WebhookQueries, ValueQueries, ForecastQueries):
    node: relay.Node | None = relay.node(description="Any object by its global ID, or null if there is none.")
    nodes: list[relay.Node | None] = relay.node(description="Several objects by their global IDs, in the same order.")

    customer = _lookup(Customer, "customer")
    customers = connection(
        models.Customer,
        Customer,
        "All customers (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=CustomerFilter,
        order_type=CustomerOrder,
    )
    product = _lookup(Product, "product")
    products = connection(
        models.Product,
        Product,
        "All products (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=ProductFilter,
        order_type=ProductOrder,
    )
    order = _lookup(Order, "order")
    orders = connection(
        models.Order,
        Order,
        "All orders (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=OrderFilter,
        order_type=OrderOrder,
    )
    visit = _lookup(Visit, "visit")
    visits = connection(
        models.Visit,
        Visit,
        "All visits (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=VisitFilter,
        order_type=VisitOrder,
    )
    ticket = _lookup(Ticket, "ticket")
    tickets = connection(
        models.Ticket,
        Ticket,
        "All tickets (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=TicketFilter,
        order_type=TicketOrder,
    )
    campaign = _lookup(Campaign, "campaign")
    campaigns = connection(
        models.Campaign,
        Campaign,
        "All campaigns (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=CampaignFilter,
        order_type=CampaignOrder,
    )
    user = _lookup(User, "user")
    users = connection(
        models.User,
        User,
        "All users (deleted ones left out), a page at a time; by default oldest first.",
        filter_type=UserFilter,
        order_type=UserOrder,
    )
