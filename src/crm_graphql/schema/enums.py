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
    RfmSegment,
    Role,
    Segment,
    TicketKind,
    TicketPriority,
    TicketStatus,
    VisitStatus,
)
from crm_graphql.resolvers.reports import ReportPeriod, SalesDimension

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
    RfmSegment: "A customer's RFM segment, named from their recency score and their frequency and monetary "
    "scores: CHAMPIONS and LOYAL buy often and recently, AT_RISK and CANT_LOSE_THEM used to, LOST has stopped.",
    ReportPeriod: "How report rows are grouped in time: by UTC day, ISO week (Monday to Sunday) or calendar month.",
    SalesDimension: "What sales are grouped by: the order's sales rep, the product sold, the customer's segment, "
    "or the campaign the order is attributed to.",
}

for enum_class, description in DESCRIPTIONS.items():
    strawberry.enum(enum_class, name=enum_class.__name__, description=description)

__all__ = [
    "CampaignStatus",
    "Channel",
    "MemberStatus",
    "OrderStatus",
    "ReportPeriod",
    "RfmSegment",
    "Role",
    "SalesDimension",
    "Segment",
    "TicketKind",
    "TicketPriority",
    "TicketStatus",
    "VisitStatus",
]
