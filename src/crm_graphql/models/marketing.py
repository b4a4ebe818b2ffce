"""Marketing campaigns and the customers they target."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from crm_graphql.models.base import Record, SyncedRecord

if TYPE_CHECKING:
    from crm_graphql.models.customers import Customer


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    EVENT = "event"
    SOCIAL = "social"
    WEB = "web"
    DIRECT_MAIL = "direct_mail"


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Campaign(SyncedRecord):
    name = fields.CharField(max_length=200, db_index=True)
    channel = fields.CharEnumField(Channel, max_length=20, db_index=True)
    budget = fields.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    starts_on = fields.DateField(db_index=True)
    ends_on = fields.DateField(db_index=True)
    status = fields.CharEnumField(CampaignStatus, max_length=20, default=CampaignStatus.PLANNED, db_index=True)

    class Meta:
        table = "campaigns"
        constraints = [
            CheckConstraint(check="CAST(budget AS NUMERIC) >= 0", name="ck_campaigns_budget"),
            CheckConstraint(check="ends_on >= starts_on", name="ck_campaigns_dates"),
        ]


class MemberStatus(StrEnum):
    TARGETED = "targeted"
    CONTACTED = "contacted"
    RESPONDED = "responded"
    CONVERTED = "converted"


class CampaignMember(Record):
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="members", on_delete=fields.CASCADE, db_index=True
    )
    campaign_id: int
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="campaign_memberships", on_delete=fields.RESTRICT, db_index=True
    )
    customer_id: int
    status = fields.CharEnumField(MemberStatus, max_length=20, default=MemberStatus.TARGETED, db_index=True)
    responded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "campaign_members"
        unique_together = (("campaign", "customer"),)
