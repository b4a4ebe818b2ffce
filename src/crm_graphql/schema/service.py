"""Sales rep visits and customer-service tickets."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_graphql import models
from crm_graphql.schema.enums import TicketKind, TicketPriority, TicketStatus, VisitStatus
from crm_graphql.schema.nodes import ModelNode, related

if TYPE_CHECKING:
    from crm_graphql.schema.access import User
    from crm_graphql.schema.customers import Customer


CustomerType = Annotated["Customer", strawberry.lazy("crm_graphql.schema.customers")]
UserType = Annotated["User", strawberry.lazy("crm_graphql.schema.access")]


@strawberry.type(description="A sales rep's visit to a customer, planned or done.")
class Visit(ModelNode):
    model = models.Visit

    scheduled_at: datetime = strawberry.field(description="When the visit is or was scheduled to start.")
    duration_minutes: int = strawberry.field(description="Planned length in minutes.")
    purpose: str = strawberry.field(description="Why the rep visits, e.g. 'Quarterly review'.")
    status: VisitStatus = strawberry.field(description="Current state of the visit.")
    outcome_notes: str | None = strawberry.field(description="What came of the visit; required once it is done.")
    external_id: str | None = strawberry.field(description="Identifier of this visit in a partner system.")
    created_at: datetime = strawberry.field(description="When the visit was recorded.")
    updated_at: datetime = strawberry.field(description="When the visit was last changed.")

    customer = related(models.Customer, "customer_id", CustomerType, "The customer visited.")
    rep = related(models.User, "rep_id", UserType | None, "The sales rep who visits.")


@strawberry.type(description="A customer-service case: a consultation, feedback or a complaint.")
class Ticket(ModelNode):
    model = models.Ticket

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
    created_at: datetime = strawberry.field(description="When the ticket was recorded.")
    updated_at: datetime = strawberry.field(description="When the ticket was last changed.")

    customer = related(models.Customer, "customer_id", CustomerType, "The customer who raised the ticket.")
    assignee = related(
        models.User, "assignee_id", UserType | None, "The support agent working on the ticket, if assigned."
    )
