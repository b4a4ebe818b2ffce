"""Partner webhooks: subscriptions, the transactional outbox of events, and delivery attempts."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from crm_graphql.models.access import ApiKey


class WebhookSubscription(Model):
    id = fields.IntField(primary_key=True)
    api_key: fields.ForeignKeyRelation[ApiKey] = fields.ForeignKeyField(
        "models.ApiKey", related_name="webhooks", on_delete=fields.CASCADE, db_index=True
    )
    api_key_id: int
    url = fields.CharField(max_length=2000)
    events: fields.Field[list[str]] = fields.JSONField(default=list, description="Event names, e.g. customer.created.")
    secret = fields.CharField(max_length=100, description="Key of the HMAC-SHA256 signature sent with each delivery.")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_subscriptions"


class OutboxEvent(Model):
    """An event written in the same transaction as the change it reports."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, db_index=True, description="e.g. customer.created")
    entity = fields.CharField(max_length=40)
    entity_id = fields.IntField()
    payload: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    dispatched_at = fields.DatetimeField(null=True, db_index=True, description="When deliveries were planned.")

    class Meta:
        table = "outbox_events"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "models.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    subscription_id: int
    event: fields.ForeignKeyRelation[OutboxEvent] = fields.ForeignKeyField(
        "models.OutboxEvent", related_name="deliveries", on_delete=fields.CASCADE, db_index=True
    )
    event_id: int
    status = fields.CharEnumField(DeliveryStatus, max_length=10, default=DeliveryStatus.PENDING, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("subscription", "event"),)
