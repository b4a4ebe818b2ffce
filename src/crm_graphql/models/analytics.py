"""Customer value scores: the fit that made them and the per-customer results it materialised.

Scores are derived data, rewritten by each refresh; they are columns of `customers` so that
filters, sorts and keyset cursors work on them like on any other customer column.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RfmSegment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALISTS = "potential loyalists"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need attention"
    AT_RISK = "at risk"
    CANT_LOSE_THEM = "can't lose them"
    HIBERNATING = "hibernating"
    LOST = "lost"


class ValueFit(Model):
    """One refresh of the value scores: the models' parameters, how well they fitted, and when."""

    id = fields.IntField(primary_key=True)
    fitted_at = fields.DatetimeField(db_index=True)
    observation_end = fields.DateField(description="Purchases up to and including this UTC day were used.")
    time_unit_days = fields.FloatField(description="Length in days of the time unit of alpha, t_x and T.")
    horizon_days = fields.IntField(description="Horizon of the stored expected purchases.")
    clv_months = fields.IntField(description="Horizon of the stored CLV.")
    monthly_discount_rate = fields.FloatField(description="Discount rate of the stored CLV.")
    customers = fields.IntField(description="Customers with at least one counted order.")
    repeat_customers = fields.IntField(description="Of those, customers who bought on more than one day.")
    bgnbd_r = fields.FloatField(null=True)
    bgnbd_alpha = fields.FloatField(null=True)
    bgnbd_a = fields.FloatField(null=True)
    bgnbd_b = fields.FloatField(null=True)
    bgnbd_log_likelihood = fields.FloatField(null=True)
    bgnbd_converged = fields.BooleanField(null=True)
    gg_p = fields.FloatField(null=True)
    gg_q = fields.FloatField(null=True)
    gg_gamma = fields.FloatField(null=True)
    gg_log_likelihood = fields.FloatField(null=True)
    gg_converged = fields.BooleanField(null=True)
    fit_seconds = fields.FloatField(description="Time spent fitting, without reading and writing.")
    note = fields.TextField(description="Why a model was not fitted or may not be trusted, if so.")

    class Meta:
        table = "value_fits"
        table_description = "One fit of the customer value models."


class CustomerValue(Model):
    """Value columns of a customer, written by the latest fit (zeros and nulls when never scored)."""

    value_fit: fields.ForeignKeyNullableRelation[ValueFit] = fields.ForeignKeyField(
        "models.ValueFit", related_name=False, null=True, on_delete=fields.SET_NULL, db_index=False
    )
    value_fit_id: int | None
    purchase_days = fields.IntField(null=True, description="Days with at least one counted order.")
    last_purchase_on = fields.DateField(null=True)
    total_spend = fields.FloatField(db_default=0, default=0, description="Sum of counted order totals.")
    repeat_purchases = fields.IntField(null=True, description="BG/NBD x: purchase days after the first.")
    recency_units = fields.FloatField(null=True, description="BG/NBD t_x: first to last purchase.")
    age_units = fields.FloatField(null=True, description="BG/NBD T: first purchase to the observation end.")
    mean_repeat_value = fields.FloatField(null=True, description="Mean spend per repeat purchase day.")
    rfm_r = fields.SmallIntField(null=True)
    rfm_f = fields.SmallIntField(null=True)
    rfm_m = fields.SmallIntField(null=True)
    rfm_segment = fields.CharEnumField(RfmSegment, max_length=20, null=True)
    p_alive = fields.FloatField(null=True)
    expected_purchases = fields.FloatField(db_default=0, default=0, description="In the fit's horizon.")
    expected_order_value = fields.FloatField(null=True)
    clv = fields.FloatField(db_default=0, default=0, description="Over the fit's months, discounted.")

    class Meta:
        abstract = True
