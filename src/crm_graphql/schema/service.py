"""Sales rep visits and customer-service tickets: types, filters and sort orders."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.enums import TicketKind, TicketPriority, TicketStatus, VisitStatus
from crm_graphql.schema.filters import (
    ALL_OF,
    ANY_OF,
    NONE_OF,
    DateTimeFilter,
    EntityFilter,
    IDFilter,
    IntFilter,
    NullableDateTimeFilter,
    NullableIntFilter,
    NullableStringFilter,
    StringFilter,
    condition,
    enum_filter,
    order_input,
)
from crm_graphql.schema.history import history
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.access import User, UserFilter
    from crm_graphql.schema.customers import Customer, CustomerFilter

CUSTOMERS = "crm_graphql.schema.customers"
ACCESS = "crm_graphql.schema.access"
CustomerType = Annotated["Customer", strawberry.lazy(CUSTOMERS)]
UserType = Annotated["User", strawberry.lazy(ACCESS)]

VisitStatusFilter = enum_filter(VisitStatus)
TicketKindFilter = enum_filter(TicketKind)
TicketStatusFilter = enum_filter(TicketStatus)
TicketPriorityFilter = enum_filter(TicketPriority)
VisitOrder = order_input(
    "Visit", {"ID": "id", "SCHEDULED_AT": "scheduled_at", "STATUS": "status", "CREATED_AT": "created_at"}
)
TicketOrder = order_input(
    "Ticket",
    {"ID": "id", "OPENED_AT": "opened_at", "STATUS": "status", "KIND": "kind", "CREATED_AT": "created_at"},
)


@strawberry.type(description="A sales rep's visit to a customer, planned or done.")
class Visit(ModelNode):
    model = models.Visit
    history = history(models.Visit)

    scheduled_at: datetime = strawberry.field(description="When the visit is or was scheduled to start.")
    duration_minutes: int = strawberry.field(description="Planned length in minutes.")
    purpose: str = strawberry.field(description="Why the rep visits, e.g. 'Quarterly review'.")
    status: VisitStatus = strawberry.field(description="Current state of the visit.")
    outcome_notes: str | None = strawberry.field(description="What came of the visit; required once it is done.")
    external_id: str | None = strawberry.field(description="Identifier of this visit in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the visit was recorded.")
    updated_at: datetime = strawberry.field(description="When the visit was last changed.")

    customer = related(models.Customer, "customer_id", CustomerType, "The customer visited.")
    rep = related(models.User, "rep_id", UserType | None, "The sales rep who visits.")


@strawberry.input(description="Conditions on visits; all the conditions given must hold.")
class VisitFilter(EntityFilter):
    node_type = "Visit"

    and_: list[VisitFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[VisitFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: VisitFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The visit's ID.")
    scheduled_at: DateTimeFilter | None = condition("When the visit is scheduled.")
    duration_minutes: IntFilter | None = condition("The planned length in minutes.")
    purpose: StringFilter | None = condition("The purpose.")
    status: VisitStatusFilter | None = condition("The visit's state.")
    outcome_notes: NullableStringFilter | None = condition("The outcome notes.")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    customer: Annotated["CustomerFilter", strawberry.lazy(CUSTOMERS)] | None = condition("The customer matches.")
    rep: Annotated["UserFilter", strawberry.lazy(ACCESS)] | None = condition("The sales rep matches.")


@strawberry.input(description="Conditions on a set of visits related to a row.")
class VisitRelationFilter:
    some: VisitFilter | None = condition("At least one related visit matches.")
    none: VisitFilter | None = condition("No related visit matches.")


@strawberry.type(description="A customer-service case: a consultation, feedback or a complaint.")
class Ticket(ModelNode):
    model = models.Ticket
    history = history(models.Ticket)

    kind: TicketKind = strawberry.field(description="Consultation, feedback or complaint.")
    subject: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(description="The customer's request in full.")
    status: TicketStatus = strawberry.field(description="Current workflow state.")
    priority: TicketPriority = strawberry.field(description="Urgency.")
    opened_at: datetime = strawberry.field(description="When the customer contacted us.")
    first_response_at: datetime | None = strawberry.field(description="When an agent first answered.")
    resolved_at: datetime | None = strawberry.field(description="When the ticket was last resolved.")
    due_at: datetime | None = strawberry.field(description="SLA deadline for resolution, from the priority.")
    satisfaction: int | None = strawberry.field(description="The customer's rating from 1 (poor) to 5 (excellent).")
    external_id: str | None = strawberry.field(description="Identifier of this ticket in a partner system.")
    version: int = strawberry.field(description="Revision number; send it back with an update to detect conflicts.")
    created_at: datetime = strawberry.field(description="When the ticket was recorded.")
    updated_at: datetime = strawberry.field(description="When the ticket was last changed.")

    customer = related(models.Customer, "customer_id", CustomerType, "The customer who raised the ticket.")
    assignee = related(models.User, "assignee_id", UserType | None, "The support agent working on it, if assigned.")


@strawberry.input(description="Conditions on tickets; all the conditions given must hold.")
class TicketFilter(EntityFilter):
    node_type = "Ticket"

    and_: list[TicketFilter] | None = strawberry.field(name="and", default=strawberry.UNSET, description=ALL_OF)
    or_: list[TicketFilter] | None = strawberry.field(name="or", default=strawberry.UNSET, description=ANY_OF)
    not_: TicketFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description=NONE_OF)
    id: IDFilter | None = condition("The ticket's ID.")
    kind: TicketKindFilter | None = condition("Consultation, feedback or complaint.")
    subject: StringFilter | None = condition("The one-line summary.")
    status: TicketStatusFilter | None = condition("The workflow state, e.g. `{in: [NEW, OPEN, PENDING]}` for open.")
    priority: TicketPriorityFilter | None = condition("The urgency.")
    opened_at: DateTimeFilter | None = condition("When the ticket was opened.")
    first_response_at: NullableDateTimeFilter | None = condition("When an agent first answered.")
    resolved_at: NullableDateTimeFilter | None = condition("When the ticket was resolved.")
    due_at: NullableDateTimeFilter | None = condition("The SLA deadline.")
    satisfaction: NullableIntFilter | None = condition("The customer's rating (1 to 5).")
    external_id: NullableStringFilter | None = condition("The partner system's identifier.")
    customer: Annotated["CustomerFilter", strawberry.lazy(CUSTOMERS)] | None = condition("The customer matches.")
    assignee: Annotated["UserFilter", strawberry.lazy(ACCESS)] | None = condition("The assigned agent matches.")


@strawberry.input(description="Conditions on a set of tickets related to a row.")
class TicketRelationFilter:
    some: TicketFilter | None = condition("At least one related ticket matches.")
    none: TicketFilter | None = condition("No related ticket matches.")
