"""Customers and the products they buy."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

from crm_graphql.models.analytics import CustomerValue
from crm_graphql.models.base import SyncedRecord

if TYPE_CHECKING:
    from crm_graphql.models.access import User


class Segment(StrEnum):
    CONSUMER = "consumer"
    SMALL_BUSINESS = "small_business"
    ENTERPRISE = "enterprise"
    PUBLIC_SECTOR = "public_sector"


class Customer(SyncedRecord, CustomerValue):
    name = fields.CharField(max_length=200, db_index=True)
    email = fields.CharField(max_length=254, null=True, unique=True)
    phone = fields.CharField(max_length=32, null=True, db_index=True)
    address = fields.CharField(max_length=500, null=True)
    segment = fields.CharEnumField(Segment, max_length=20, db_index=True)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_customers", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    owner_id: int | None

    class Meta:
        table = "customers"
        # Keyset paging by the sortable value scores (see CustomerValue).
        indexes = [Index(fields=(column, "id")) for column in ("clv", "expected_purchases", "total_spend")]


class Product(SyncedRecord):
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200, db_index=True)
    category = fields.CharField(max_length=100, db_index=True)
    unit_price = fields.DecimalField(max_digits=12, decimal_places=2)
    active = fields.BooleanField(default=True, db_index=True)

    class Meta:
        table = "products"
        constraints = [
            CheckConstraint(check="CAST(unit_price AS NUMERIC) >= 0", name="ck_products_unit_price"),
        ]
