"""What changed, who changed it, and replay protection for partner writes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"


class AuditEntry(Model):
    """One change to one record: the changed fields with their old and new values."""

    id = fields.BigIntField(primary_key=True)
    entity = fields.CharField(max_length=40, description="The GraphQL type name of the record, e.g. Customer.")
    entity_id = fields.IntField()
    action = fields.CharEnumField(AuditAction, max_length=10)
    actor = fields.CharField(max_length=100, description="'user:<id>', 'key:<prefix>' or 'system'.")
    changes: fields.Field[dict[str, Any]] = fields.JSONField(default=dict, description="{field: [old, new]}")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_entries"
        indexes = (("entity", "entity_id", "id"),)


class IdempotencyKey(Model):
    """The stored result of a create mutation, replayed when the same key comes again."""

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=100)
    key = fields.CharField(max_length=200)
    operation = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64)
    entity_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("actor", "key"),)
