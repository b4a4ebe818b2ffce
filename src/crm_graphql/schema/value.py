"""Customer value in the graph: RFM, BG/NBD and Gamma-Gamma scores, and the fit they came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.resolvers import values
from crm_graphql.resolvers.policy import Entity, require
from crm_graphql.schema.enums import RfmSegment
from crm_graphql.schema.errors import as_graphql_errors

_REFRESH = "Scores are as of the latest fit (`crm-graphql analytics refresh`, or CRM_ANALYTICS_REFRESH_HOURS)."


@strawberry.type(description="RFM quintile scores: 5 is the best fifth of customers, 1 the worst.")
class RfmScores:
    recency: int = strawberry.field(description="1-5 by days since the last purchase; 5 = bought most recently.")
    frequency: int = strawberry.field(description="1-5 by the number of days with a purchase; 5 = most often.")
    monetary: int = strawberry.field(description="1-5 by total spend; 5 = spent the most.")
    segment: RfmSegment = strawberry.field(description="The named segment of these scores.")


@strawberry.type(description="BG/NBD repeat-purchase model parameters (Fader, Hardie & Lee 2005).")
class BgNbdParameters:
    r: float = strawberry.field(description="Shape of the purchase-rate gamma distribution.")
    alpha: float = strawberry.field(description="Scale of the purchase-rate distribution, in the fit's time unit.")
    a: float = strawberry.field(description="First shape of the beta distribution of the dropout probability.")
    b: float = strawberry.field(description="Second shape of the beta distribution of the dropout probability.")
    log_likelihood: float = strawberry.field(description="Maximised log-likelihood of the fit.")
    converged: bool = strawberry.field(
        description="True when the optimiser reached an interior maximum; false means the figures are unreliable "
        "(e.g. data without any dropout drives a and b without bound)."
    )


@strawberry.type(description="Gamma-Gamma spend-per-order model parameters (Fader, Hardie & Lee 2005).")
class GammaGammaParameters:
    p: float = strawberry.field(description="Shape of the spend distribution around a customer's mean.")
    q: float = strawberry.field(description="Shape of the distribution of customers' mean spend.")
    gamma: float = strawberry.field(description="Scale of the distribution of customers' mean spend.")
    log_likelihood: float = strawberry.field(description="Maximised log-likelihood of the fit.")
    converged: bool = strawberry.field(description="True when the optimiser reached an interior maximum.")


@strawberry.type(description="One fit of the customer value models, which every stored score comes from.")
class ValueFit:
    fitted_at: datetime = strawberry.field(description="When the fit ran.")
    observation_end: date = strawberry.field(
        description="Last UTC day of purchases used. Orders that are CONFIRMED, SHIPPED or COMPLETED count; "
        "several orders on one day are one purchase, and amounts in different currencies are added as they are."
    )
    time_unit_days: float = strawberry.field(description="The models' time unit in days (7: weeks).")
    horizon_days: int = strawberry.field(description="The horizon of the stored expected purchases (and sorting).")
    clv_months: int = strawberry.field(description="The horizon of the stored CLV (and sorting).")
    monthly_discount_rate: float = strawberry.field(description="The monthly discount rate of the stored CLV.")
    customers: int = strawberry.field(description="Customers scored: those with at least one counted order.")
    repeat_customers: int = strawberry.field(description="Of those, customers who bought on more than one day.")
    fit_seconds: float = strawberry.field(description="Seconds spent fitting the models.")
    note: str = strawberry.field(description="Why a model was not fitted or may not be trusted; empty if all is well.")

    @strawberry.field(description="The repeat-purchase model, or null where it could not be fitted (see `note`).")
    def bg_nbd(self, root: strawberry.Parent[models.ValueFit]) -> BgNbdParameters | None:
        params = values.bgnbd_of(root)
        if params is None:
            return None
        return BgNbdParameters(
            r=params.r,
            alpha=params.alpha,
            a=params.a,
            b=params.b,
            log_likelihood=root.bgnbd_log_likelihood or 0.0,
            converged=bool(root.bgnbd_converged),
        )

    @strawberry.field(description="The spend model, or null where it could not be fitted (see `note`).")
    def gamma_gamma(self, root: strawberry.Parent[models.ValueFit]) -> GammaGammaParameters | None:
        params = values.gamma_gamma_of(root)
        if params is None:
            return None
        return GammaGammaParameters(
            p=params.p,
            q=params.q,
            gamma=params.gamma,
            log_likelihood=root.gg_log_likelihood or 0.0,
            converged=bool(root.gg_converged),
        )


Days = Annotated[int, strawberry.argument(description="Horizon in days, 1 to 3,653.")]
Months = Annotated[int, strawberry.argument(description="Horizon in months, 1 to 120.")]
Rate = Annotated[
    float, strawberry.argument(description="Monthly discount rate, at least 0 and below 1 (0.01 is 1% a month).")
]


@strawberry.type(description=f"What a customer is worth and how likely they are to buy again. {_REFRESH}")
class CustomerValue:
    customer: strawberry.Private[models.Customer]

    @strawberry.field(description="Days with at least one counted order, up to the fit's observation end.")
    def purchase_days(self) -> int:
        return self.customer.purchase_days or 0

    @strawberry.field(description="The last day with a counted order.")
    def last_purchase_on(self) -> date | None:
        return self.customer.last_purchase_on

    @strawberry.field(description="Sum of the customer's counted order totals (currencies added as they are).")
    def total_spend(self) -> float:
        return self.customer.total_spend

    @strawberry.field(description="RFM quintile scores among all scored customers, with the segment.")
    def rfm(self) -> RfmScores | None:
        c = self.customer
        if c.rfm_r is None or c.rfm_f is None or c.rfm_m is None or c.rfm_segment is None:
            return None
        return RfmScores(recency=c.rfm_r, frequency=c.rfm_f, monetary=c.rfm_m, segment=RfmSegment(c.rfm_segment))

    @strawberry.field(
        description="BG/NBD probability (0-1) that the customer is still active; null without a BG/NBD fit. "
        "Always 1 for a customer who bought on one day only: see `pAliveInformative`."
    )
    def p_alive(self) -> float | None:
        return self.customer.p_alive

    @strawberry.field(
        description="False when `pAlive` says nothing: the customer has no repeat purchase, so BG/NBD gives 1."
    )
    def p_alive_informative(self) -> bool:
        return bool(self.customer.repeat_purchases) and self.customer.p_alive is not None

    @strawberry.field(description="BG/NBD expected number of purchase days in the next `days` days.")
    async def expected_purchases(self, info: Info, days: Days = 90) -> float | None:
        fit = await _fit(info, self.customer)
        if fit.horizon_days == days:
            return self.customer.expected_purchases if self.customer.p_alive is not None else None
        with as_graphql_errors():
            return values.expected_purchases_of(self.customer, fit, days)

    @strawberry.field(description="Gamma-Gamma expected spend per purchase day (the population mean for one-timers).")
    def expected_order_value(self) -> float | None:
        return self.customer.expected_order_value

    @strawberry.field(
        description="Customer lifetime value: expected revenue (not margin) over the next `months` months, each "
        "month discounted at `monthlyDiscountRate`, from BG/NBD and Gamma-Gamma; null where either is missing."
    )
    async def clv(self, info: Info, months: Months = 12, monthly_discount_rate: Rate = 0.01) -> float | None:
        fit = await _fit(info, self.customer)
        if (fit.clv_months, fit.monthly_discount_rate) == (months, monthly_discount_rate):
            return self.customer.clv if self.customer.expected_order_value is not None else None
        with as_graphql_errors():
            return values.clv_of(self.customer, fit, months, monthly_discount_rate)

    @strawberry.field(description="The fit these scores come from, with its parameters.")
    async def fit(self, info: Info) -> ValueFit:
        return await _fit(info, self.customer)  # type: ignore[return-value]


async def _fit(info: Info, customer: models.Customer) -> models.ValueFit:
    # Only scored customers (value_fit_id set) get a CustomerValue, and fits are never deleted.
    assert customer.value_fit_id is not None
    fit = await info.context.loaders.value_fit.load(customer.value_fit_id)
    assert fit is not None
    return fit


async def customer_value(root: strawberry.Parent[models.Customer]) -> CustomerValue | None:
    return CustomerValue(customer=root) if root.value_fit_id is not None else None


VALUE_DESCRIPTION = f"Value scores; null until the customer has a counted order and a fit has run since. {_REFRESH}"


@strawberry.type(description="Customer value queries.")
class ValueQueries:
    @strawberry.field(description="The latest fit of the customer value models, or null before the first one.")
    async def value_fit(self, info: Info) -> ValueFit | None:
        with as_graphql_errors():
            require(info.context.viewer, Entity.CUSTOMERS)
        return await models.ValueFit.all().order_by("-id").first()  # type: ignore[return-value]
