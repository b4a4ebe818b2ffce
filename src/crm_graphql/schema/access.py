"""Users: the people (and partner systems) who work in the CRM."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.connections import connection
from crm_graphql.schema.enums import Role
from crm_graphql.schema.filters import (
    ALL_OF,
    ANY_OF,
    NONE_OF,
    BooleanFilter,
    DateTimeFilter,
    EntityFilter,
    IDFilter,
    NullableStringFilter,
    StringFilter,
    condition,
    enum_filter,
    order_input,
)
from crm_graphql.schema.history import history
from crm_graphql.schema.nodes import ModelNode, personal

if TYPE_CHECKING:
    from crm_graphql.schema.customers import Customer, CustomerFilter, CustomerOrder, CustomerRelationFilter
    from crm_graphql.schema.service import (
        Ticket,
        TicketFilter,
        TicketOrder,
        TicketRelationFilter,
        Visit,
        VisitFilter,
        VisitOrder,
        VisitRelationFilter,
    )

CUSTOMERS = "crm_graphql.schema.customers"
SERVICE = "crm_graphql.schema.service"

RoleFilter = enum_filter(Role)
UserOrder = order_input("User", {"ID": "id", "NAME": "name", "ROLE": "role", "CREATED_AT": "created_at"})


@strawberry.type(
    description="A person or partner system with access to the CRM: sales rep, support agent, marketer, admin."
)
class User(ModelNode):
    model = models.User
    history = history(models.User)

    name: str = strawberry.field(description="Full name.")
    email = personal("email", "Login and contact e-mail address (unique).")
    role: Role = strawberry.field(description="The user's role.")
    active: bool = strawberry.field(description="False once the user has left; inactive users keep their history.")
    external_id: str | None = strawberry.field(description="Identifier of this user in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the user was added.")
    updated_at: datetime = strawberry.field(description="When the user was last changed.")

    owned_customers = connection(
        models.Customer,
        Annotated["Customer", strawberry.lazy(CUSTOMERS)],
        "Customers this user owns as their sales rep (by default oldest first).",
        parent_column="owner_id",
        filter_type=Annotated["CustomerFilter", strawberry.lazy(CUSTOMERS)],
        order_type=Annotated["CustomerOrder", strawberry.lazy(CUSTOMERS)],
    )
    visits = connection(
        models.Visit,
        Annotated["Visit", strawberry.lazy(SERVICE)],
        "Visits this user (as sales rep) planned or made (by default oldest first).",
        parent_column="rep_id",
        filter_type=Annotated["VisitFilter", strawberry.lazy(SERVICE)],
        order_type=Annotated["VisitOrder", strawberry.lazy(SERVICE)],
    )
    assigned_tickets = connection(
        models.Ticket,
        Annotated["Ticket", strawberry.lazy(SERVICE)],
        "Tickets assigned to this user (as support agent) (by default oldest first).",
        parent_column="assignee_id",
        filter_type=Annotated["TicketFilter", strawberry.lazy(SERVICE)],
        order_type=Annotated["TicketOrder", strawberry.lazy(SERVICE)],
    )


@strawberry.input(description="Conditions on users; all the conditions given must hold.")
class UserFilter(EntityFilter):
    node_type = "User"

    and_: list[UserFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[UserFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: UserFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The user's ID.")
    name: StringFilter | None = condition("The full name.")
    email: StringFilter | None = condition("The e-mail address.")
    role: RoleFilter | None = condition("The role.")
    active: BooleanFilter | None = condition("Whether the user is active.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    created_at: DateTimeFilter | None = condition("When the user was added.")
    owned_customers: Annotated["CustomerRelationFilter", strawberry.lazy(CUSTOMERS)] | None = condition(
        "Conditions on the customers the user owns."
    )
    visits: Annotated["VisitRelationFilter", strawberry.lazy(SERVICE)] | None = condition(
        "Conditions on the user's visits."
    )
    assigned_tickets: Annotated["TicketRelationFilter", strawberry.lazy(SERVICE)] | None = condition(
        "Conditions on the tickets assigned to the user."
    )
