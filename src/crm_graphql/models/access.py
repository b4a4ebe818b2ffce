"""People who use the CRM."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from crm_graphql.models.base import Record, SyncedRecord


class Role(StrEnum):
    ADMIN = "admin"
    SALES_REP = "sales_rep"
    SUPPORT_AGENT = "support_agent"
    MARKETER = "marketer"
    PARTNER = "partner"


class User(SyncedRecord):
    name = fields.CharField(max_length=200, db_index=True)
    email = fields.CharField(max_length=254, unique=True)
    role = fields.CharEnumField(Role, max_length=20, db_index=True)
    active = fields.BooleanField(default=True, db_index=True)

    class Meta:
        table = "users"


class ApiKey(Record):
    """A credential for a partner system or service account. Only a hash of the secret is stored."""

    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=16, unique=True, description="Public first part of the key, to identify it.")
    secret_hash = fields.CharField(max_length=64, description="SHA-256 of the whole key, hex.")
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", on_delete=fields.RESTRICT, db_index=True
    )
    user_id: int
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
