"""The demo data set: sizes, consistency, idempotence and determinism, on a real migrated SQLite file."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise import Tortoise

from crm_graphql.db import migrate
from crm_graphql.demo import SeedSummary, seed_demo
from crm_graphql.models import (
    Campaign,
    CampaignMember,
    Customer,
    MemberStatus,
    Order,
    OrderLine,
    Product,
    Role,
    Ticket,
    TicketStatus,
    User,
    Visit,
    VisitStatus,
)
from crm_graphql.settings import Settings

TODAY = date(2026, 3, 16)
MODELS = (User, Customer, Product, Order, OrderLine, Visit, Ticket, Campaign, CampaignMember)


@asynccontextmanager
async def database(path: Path) -> AsyncIterator[None]:
    """A freshly migrated SQLite database, initialised for the duration of the block."""
    settings = Settings(database_url=f"sqlite://{path}")
    await migrate(settings)
    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[None]:
    async with database(tmp_path / "t.sqlite3"):
        yield


@pytest.fixture
async def seeded(db: None) -> SeedSummary:
    return await seed_demo(today=TODAY)


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in MODELS}


async def digest() -> str:
    """A fingerprint of the seeded content that does not depend on database ids."""
    orders = (
        await Order.all()
        .order_by("external_id")
        .values_list("external_id", "customer__external_id", "campaign__external_id", "status", "ordered_at", "total")
    )
    lines = (
        await OrderLine.all()
        .order_by("order__external_id", "product__sku")
        .values_list("order__external_id", "product__sku", "quantity", "unit_price", "line_total")
    )
    customers = await Customer.all().order_by("external_id").values_list("external_id", "name", "email", "phone")
    tickets = (
        await Ticket.all().order_by("external_id").values_list("external_id", "status", "opened_at", "resolved_at")
    )
    return hashlib.sha256(repr((orders, lines, customers, tickets)).encode()).hexdigest()


async def test_counts_are_in_the_expected_ranges(seeded: SeedSummary) -> None:
    assert seeded.created
    assert (seeded.users, seeded.customers, seeded.campaigns) == (12, 300, 6)
    assert 35 <= seeded.products <= 45
    assert 3_000 <= seeded.orders <= 6_000
    assert seeded.orders < seeded.order_lines <= 5 * seeded.orders
    assert 300 <= seeded.visits <= 3_000
    assert 150 <= seeded.tickets <= 1_500
    assert 100 <= seeded.campaign_members <= 1_000
    counts = await row_counts()
    assert counts["Order"] == seeded.orders and counts["OrderLine"] == seeded.order_lines
    roles = Counter(await User.all().values_list("role", flat=True))
    assert roles == {Role.ADMIN: 1, Role.SALES_REP: 5, Role.SUPPORT_AGENT: 3, Role.MARKETER: 2, Role.PARTNER: 1}


async def test_every_order_total_is_the_sum_of_its_lines(seeded: SeedSummary) -> None:
    sums: defaultdict[int, Decimal] = defaultdict(Decimal)
    for order_id, quantity, unit_price, line_total in await OrderLine.all().values_list(
        "order_id", "quantity", "unit_price", "line_total"
    ):
        assert quantity > 0 and line_total == quantity * unit_price
        sums[order_id] += line_total
    totals = dict(await Order.all().values_list("id", "total"))
    assert totals == sums


async def test_rerunning_creates_nothing(seeded: SeedSummary) -> None:
    before = await row_counts()
    again = await seed_demo(today=TODAY + timedelta(days=3), seed=99)
    assert not again.created
    assert again == SeedSummary(**{**vars(seeded), "created": False})
    assert await row_counts() == before


async def test_a_failure_leaves_nothing_behind(db: None) -> None:
    def fail(done: int) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        await seed_demo(50, today=TODAY, progress=fail)
    assert set((await row_counts()).values()) == {0}


async def test_same_seed_and_day_give_identical_data(tmp_path: Path) -> None:
    digests = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        async with database(tmp_path / f"{name}.sqlite3"):
            await seed_demo(60, seed=seed, today=TODAY)
            digests.append(await digest())
    assert digests[0] == digests[1] != digests[2]


async def test_dates_cover_the_last_eighteen_months(seeded: SeedSummary) -> None:
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    ordered = await Order.all().values_list("ordered_at", flat=True)
    assert all(at.utcoffset() == timedelta(0) for at in ordered)
    assert max(ordered) - min(ordered) >= timedelta(days=365)
    assert max(ordered) < midnight
    planned = await Visit.filter(status=VisitStatus.PLANNED).values_list("scheduled_at", flat=True)
    assert planned and all(midnight < at < midnight + timedelta(days=30) for at in planned)
    assert not await Visit.filter(status__not=VisitStatus.PLANNED, scheduled_at__gte=midnight).exists()


async def test_tickets_and_campaigns_are_consistent(seeded: SeedSummary) -> None:
    done = {TicketStatus.RESOLVED, TicketStatus.CLOSED}
    for status, opened, responded, resolved, due, satisfaction in await Ticket.all().values_list(
        "status", "opened_at", "first_response_at", "resolved_at", "due_at", "satisfaction"
    ):
        assert (responded is None) == (status is TicketStatus.NEW)
        assert (resolved is not None) == (status in done)
        assert satisfaction is None or (status in done and 1 <= satisfaction <= 5)
        assert opened < due and (responded is None or opened <= responded <= (resolved or responded))
    assert len(set(await Ticket.all().values_list("status", flat=True))) == len(TicketStatus)
    converted = await CampaignMember.filter(status=MemberStatus.CONVERTED).prefetch_related("campaign")
    assert converted
    for member in converted:
        campaign = member.campaign
        attributed = await Order.filter(customer_id=member.customer_id, campaign_id=campaign.id).values_list(
            "ordered_at", flat=True
        )
        assert attributed and all(campaign.starts_on <= at.date() <= campaign.ends_on for at in attributed)
        assert member.responded_at is not None
