"""People who use the CRM."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from crm_graphql.models.base import SyncedRecord


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
