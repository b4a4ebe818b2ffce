"""Columns every CRM record shares."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Record(Model):
    """A CRM record: timestamps, an optimistic-locking version and soft deletion."""

    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)
    version = fields.IntField(default=1, description="Incremented on every update, for optimistic locking.")
    deleted_at = fields.DatetimeField(null=True, db_index=True, description="Set when the record is soft-deleted.")

    class Meta:
        abstract = True


class SyncedRecord(Record):
    """A record a partner system may also hold, matched by its `external_id`."""

    external_id = fields.CharField(
        max_length=100, null=True, unique=True, description="Identifier in a partner system."
    )

    class Meta:
        abstract = True
