"""Tortoise models, one module per domain. No business rules live here."""

from crm_graphql.models.access import ApiKey, Role, User
from crm_graphql.models.analytics import RfmSegment, ValueFit
from crm_graphql.models.audit import AuditAction, AuditEntry, IdempotencyKey
from crm_graphql.models.customers import Customer, Product, Segment
from crm_graphql.models.marketing import Campaign, CampaignMember, CampaignStatus, Channel, MemberStatus
from crm_graphql.models.sales import Order, OrderLine, OrderStatus
from crm_graphql.models.service import Ticket, TicketKind, TicketPriority, TicketStatus, Visit, VisitStatus
from crm_graphql.models.webhooks import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription

MODEL_MODULES = [
    "crm_graphql.models.access",
    "crm_graphql.models.customers",
    "crm_graphql.models.sales",
    "crm_graphql.models.service",
    "crm_graphql.models.marketing",
    "crm_graphql.models.audit",
    "crm_graphql.models.webhooks",
    "crm_graphql.models.analytics",
]

__all__ = [
    "MODEL_MODULES",
    "ApiKey",
    "AuditAction",
    "AuditEntry",
    "Campaign",
    "CampaignMember",
    "CampaignStatus",
    "Channel",
    "Customer",
    "DeliveryStatus",
    "IdempotencyKey",
    "MemberStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OutboxEvent",
    "Product",
    "RfmSegment",
    "Role",
    "Segment",
    "Ticket",
    "TicketKind",
    "TicketPriority",
    "TicketStatus",
    "User",
    "ValueFit",
    "Visit",
    "VisitStatus",
    "WebhookDelivery",
    "WebhookSubscription",
]
