"""Field visits by sales reps and customer-service tickets."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from crm_graphql.models.base import SyncedRecord

if TYPE_CHECKING:
    from crm_graphql.models.access import User
    from crm_graphql.models.customers import Customer


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class Visit(SyncedRecord):
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="visits", on_delete=fields.RESTRICT, db_index=True
    )
    customer_id: int
    rep: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="visits", on_delete=fields.RESTRICT, db_index=True
    )
    rep_id: int
    scheduled_at = fields.DatetimeField(db_index=True)
    duration_minutes = fields.IntField(default=60)
    purpose = fields.CharField(max_length=200)
    status = fields.CharEnumField(VisitStatus, max_length=20, default=VisitStatus.PLANNED, db_index=True)
    outcome_notes = fields.TextField(null=True)

    class Meta:
        table = "visits"
        constraints = [
            CheckConstraint(check="duration_minutes > 0", name="ck_visits_duration"),
        ]


class TicketKind(StrEnum):
    CONSULTATION = "consultation"
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Ticket(SyncedRecord):
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="tickets", on_delete=fields.RESTRICT, db_index=True
    )
    customer_id: int
    kind = fields.CharEnumField(TicketKind, max_length=20, db_index=True)
    subject = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharEnumField(TicketStatus, max_length=20, default=TicketStatus.NEW, db_index=True)
    priority = fields.CharEnumField(TicketPriority, max_length=20, default=TicketPriority.NORMAL, db_index=True)
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    assignee_id: int | None
    opened_at = fields.DatetimeField(db_index=True)
    first_response_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True, db_index=True)
    satisfaction = fields.SmallIntField(null=True)

    class Meta:
        table = "tickets"
        constraints = [
            CheckConstraint(
                check="satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_tickets_satisfaction"
            ),
        ]
