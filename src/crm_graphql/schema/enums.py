"""The models' enums, registered with the schema under their GraphQL names and descriptions.

Importing an enum from here (rather than from `crm_graphql.models`) guarantees it is registered.
"""

from __future__ import annotations

import strawberry

from crm_graphql.models import (
    CampaignStatus,
    Channel,
    MemberStatus,
    OrderStatus,
    Role,
    Segment,
    TicketKind,
    TicketPriority,
    TicketStatus,
    VisitStatus,
)

DESCRIPTIONS = {
    Role: "What a user does in the CRM; decides what they may see and change.",
    Segment: "The market segment a customer belongs to.",
    OrderStatus: "Where an order is: DRAFT → CONFIRMED → SHIPPED → COMPLETED, or CANCELLED before shipping.",
    VisitStatus: "PLANNED, then DONE, CANCELLED or MISSED.",
    TicketKind: "What the customer contacted us about.",
    TicketStatus: "NEW → OPEN → PENDING (waiting on the customer) ↔ OPEN → RESOLVED → CLOSED.",
    TicketPriority: "Urgency; sets the SLA due time.",
    Channel: "How a campaign reaches its members.",
    CampaignStatus: "PLANNED → ACTIVE → COMPLETED, or CANCELLED.",
    MemberStatus: "How far a member got: TARGETED → CONTACTED → RESPONDED → CONVERTED.",
}

for enum_class, description in DESCRIPTIONS.items():
    strawberry.enum(enum_class, name=enum_class.__name__, description=description)

__all__ = [
    "CampaignStatus",
    "Channel",
    "MemberStatus",
    "OrderStatus",
    "Role",
    "Segment",
    "TicketKind",
    "TicketPriority",
    "TicketStatus",
    "VisitStatus",
]
