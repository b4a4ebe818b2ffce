"""Sales orders and their lines."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from crm_graphql.models.base import Record, SyncedRecord

if TYPE_CHECKING:
    from crm_graphql.models.access import User
    from crm_graphql.models.customers import Customer, Product
    from crm_graphql.models.marketing import Campaign


class OrderStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Order(SyncedRecord):
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="orders", on_delete=fields.RESTRICT, db_index=True
    )
    customer_id: int
    rep: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="orders", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    rep_id: int | None
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="orders", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    campaign_id: int | None
    status = fields.CharEnumField(OrderStatus, max_length=20, default=OrderStatus.DRAFT, db_index=True)
    ordered_at = fields.DatetimeField(db_index=True)
    currency = fields.CharField(max_length=3, default="EUR")
    total = fields.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        table = "orders"
        constraints = [
            CheckConstraint(check="CAST(total AS NUMERIC) >= 0", name="ck_orders_total"),
        ]


class OrderLine(Record):
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="lines", on_delete=fields.CASCADE, db_index=True
    )
    order_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name="order_lines", on_delete=fields.RESTRICT, db_index=True
    )
    product_id: int
    quantity = fields.IntField()
    unit_price = fields.DecimalField(max_digits=12, decimal_places=2)
    line_total = fields.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        table = "order_lines"
        constraints = [
            CheckConstraint(check="quantity > 0", name="ck_order_lines_quantity"),
            CheckConstraint(check="CAST(unit_price AS NUMERIC) >= 0", name="ck_order_lines_unit_price"),
            CheckConstraint(check="CAST(line_total AS NUMERIC) >= 0", name="ck_order_lines_line_total"),
        ]
