"""Users: the people (and partner systems) who work in the CRM."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.schema.common import After, Before, Connection, First, Last, ModelNode, child_connection

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer
    from crm_graphql.schema.service import Ticket, Visit

Role = strawberry.enum(models.Role, name="Role", description="What a user does in the CRM; decides what they may see and change.")


@strawberry.type(description="A person or partner system with access to the CRM: sales rep, support agent, marketer, admin.")
class User(ModelNode):
    model = models.User

    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Login and contact e-mail address (unique).")
    role: Role = strawberry.field(description="The user's role.")
    active: bool = strawberry.field(description="False once the user has left; inactive users keep their history.")
    external_id: str | None = strawberry.field(description="Identifier of this user in a partner system.")
    created_at: datetime = strawberry.field(description="When the user was added.")
    updated_at: datetime = strawberry.field(description="When the user was last changed.")

    @strawberry.field(description="Customers this user owns as their sales rep, oldest first.")
    async def owned_customers(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Customer, strawberry.lazy("crm_graphql.schema.customers")]]:
        return child_connection(
            info, models.Customer, "owner_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Visits this user (as sales rep) planned or made, oldest first.")
    async def visits(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Visit, strawberry.lazy("crm_graphql.schema.service")]]:
        return child_connection(
            info, models.Visit, "rep_id", self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Tickets assigned to this user (as support agent), oldest first.")
    async def assigned_tickets(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Annotated[Ticket, strawberry.lazy("crm_graphql.schema.service")]]:
        return child_connection(
            info, models.Ticket, "assignee_id", self.pk, first=first, after=after, last=last, before=before
        )
