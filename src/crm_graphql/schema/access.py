"""Users: the people (and partner systems) who work in the CRM."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import Role
from crm_graphql.schema.nodes import ModelNode

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer
    from crm_graphql.schema.service import Ticket, Visit


@strawberry.type(
    description="A person or partner system with access to the CRM: sales rep, support agent, marketer, admin."
)
class User(ModelNode):
    model = models.User

    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Login and contact e-mail address (unique).")
    role: Role = strawberry.field(description="The user's role.")
    active: bool = strawberry.field(description="False once the user has left; inactive users keep their history.")
    external_id: str | None = strawberry.field(description="Identifier of this user in a partner system.")
    created_at: datetime = strawberry.field(description="When the user was added.")
    updated_at: datetime = strawberry.field(description="When the user was last changed.")

    owned_customers = connection(
        models.Customer,
        Annotated["Customer", strawberry.lazy("crm_graphql.schema.customers")],
        "Customers this user owns as their sales rep, oldest first.",
        parent_column="owner_id",
    )
    visits = connection(
        models.Visit,
        Annotated["Visit", strawberry.lazy("crm_graphql.schema.service")],
        "Visits this user (as sales rep) planned or made, oldest first.",
        parent_column="rep_id",
    )
    assigned_tickets = connection(
        models.Ticket,
        Annotated["Ticket", strawberry.lazy("crm_graphql.schema.service")],
        "Tickets assigned to this user (as support agent), oldest first.",
        parent_column="assignee_id",
    )
