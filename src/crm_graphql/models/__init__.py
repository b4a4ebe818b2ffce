"""Tortoise models, one module per domain. No business rules live here."""

from crm_graphql.models.access import Role, User
from crm_graphql.models.customers import Customer, Product, Segment
from crm_graphql.models.marketing import Campaign, CampaignMember, CampaignStatus, Channel, MemberStatus
from crm_graphql.models.sales import Order, OrderLine, OrderStatus
from crm_graphql.models.service import Ticket, TicketKind, TicketPriority, TicketStatus, Visit, VisitStatus

MODEL_MODULES = [
    "crm_graphql.models.access",
    "crm_graphql.models.customers",
    "crm_graphql.models.sales",
    "crm_graphql.models.service",
    "crm_graphql.models.marketing",
]

__all__ = [
    "MODEL_MODULES",
    "Campaign",
    "CampaignMember",
    "CampaignStatus",
    "Channel",
    "Customer",
    "MemberStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Product",
    "Role",
    "Segment",
    "Ticket",
    "TicketKind",
    "TicketPriority",
    "TicketStatus",
    "User",
    "Visit",
    "VisitStatus",
]
