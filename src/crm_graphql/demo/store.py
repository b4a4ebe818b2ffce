"""Writing the planned demo data set to the database in one transaction, and counting what is there."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql.demo.plan import plan
from crm_graphql.demo.rows import DEMO_EXTERNAL_PREFIX, Row
from crm_graphql.models import Campaign, CampaignMember, Customer, Order, OrderLine, Product, Ticket, User, Visit
from crm_graphql.resolvers.routing import PRIMARY

CHUNK = 25  # customers written per round trip; also the step of `progress`


@dataclass(frozen=True)
class SeedSummary:
    """Rows of each kind in the demo data set, and whether this call created them."""

    users: int
    customers: int
    products: int
    orders: int
    order_lines: int
    visits: int
    tickets: int
    campaigns: int
    campaign_members: int
    created: bool


async def seed_demo(
    customers: int = 300,
    *,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[int], object] | None = None,
) -> SeedSummary:
    """Load the demo data set unless demo customers exist already; all in one transaction.

    `progress` is called after each batch of customers is written (with all their orders, visits,
    tickets and campaign memberships), with the number of customers written so far.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    async with in_transaction(PRIMARY):
        if await Customer.filter(external_id__startswith=DEMO_EXTERNAL_PREFIX).exists():
            return await _summary(created=False)
        planned = plan(customers, random.Random(seed), today or datetime.now(UTC).date())
        ids: dict[str, int] = {}
        for model, rows in ((User, planned.users), (Product, planned.products), (Campaign, planned.campaigns)):
            await _insert(model, rows, ids)
        for first in range(0, len(planned.accounts), CHUNK):
            chunk = planned.accounts[first : first + CHUNK]
            orders = [order for account in chunk for order in account.orders]
            await _insert(Customer, [account.row for account in chunk], ids)
            await _insert(Order, orders, ids)
            await _insert(OrderLine, [line for order in orders for line in order.lines], ids)
            await _insert(Visit, [visit for account in chunk for visit in account.visits], ids)
            await _insert(Ticket, [ticket for account in chunk for ticket in account.tickets], ids)
            await _insert(CampaignMember, [member for account in chunk for member in account.members], ids)
            if progress is not None:
                progress(first + len(chunk))
        return await _summary(created=True)


async def _insert(model: type[Model], rows: Sequence[Row], ids: dict[str, int]) -> None:
    """Insert rows, then remember the database ids of those with an external id."""
    objects = [model(**row.fields, **{f"{k}_id": ids[v] for k, v in row.refs.items() if v}) for row in rows]
    await model.bulk_create(objects, batch_size=500)
    # bulk_create does not report generated ids, so read them back by external id.
    external = [row.fields["external_id"] for row in rows if "external_id" in row.fields]
    if external:
        ids.update(await model.filter(external_id__in=external).values_list("external_id", "id"))


async def _summary(*, created: bool) -> SeedSummary:
    demo = {"external_id__startswith": DEMO_EXTERNAL_PREFIX}
    return SeedSummary(
        users=await User.filter(**demo).count(),
        customers=await Customer.filter(**demo).count(),
        products=await Product.filter(**demo).count(),
        orders=await Order.filter(**demo).count(),
        order_lines=await OrderLine.filter(order__external_id__startswith=DEMO_EXTERNAL_PREFIX).count(),
        visits=await Visit.filter(**demo).count(),
        tickets=await Ticket.filter(**demo).count(),
        campaigns=await Campaign.filter(**demo).count(),
        campaign_members=await CampaignMember.filter(campaign__external_id__startswith=DEMO_EXTERNAL_PREFIX).count(),
        created=created,
    )
