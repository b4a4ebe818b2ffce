"""Reports: exact figures from a small data set on SQLite and PostgreSQL, one SQL statement each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from tortoise import Tortoise

from crm_graphql import models
from crm_graphql.resolvers import reports
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.reports import ReportPeriod, SalesDimension
from crm_graphql.settings import Settings
from tests.conftest import StatementCounter

FROM, TO = date(2026, 1, 5), date(2026, 2, 28)  # 2026-01-05 is a Monday
NOW = datetime(2026, 2, 15, tzinfo=UTC)
GONE = datetime(2026, 1, 30, tzinfo=UTC)
M = models.MemberStatus
T = models.TicketStatus


def at(day: str, clock: str = "09:00:00", tz: timezone = UTC) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=tz)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    await Tortoise.init(config=Settings(database_url=database_url).tortoise_config())
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def build() -> dict[str, Any]:
    """Reps, customers, products, orders, a campaign with members and tickets with known figures."""
    ana = await models.User.create(name="Ana Rep", email="ana@example.com", role=models.Role.SALES_REP)
    ben = await models.User.create(name="Ben Rep", email="ben@example.com", role=models.Role.SALES_REP)
    seg = models.Segment
    c1, c2, c3, c4, c5, c6 = [
        await models.Customer.create(name=f"C{i}", segment=s)
        for i, s in enumerate(
            [seg.CONSUMER, seg.ENTERPRISE, seg.SMALL_BUSINESS, seg.CONSUMER, seg.CONSUMER, seg.CONSUMER]
        )
    ]
    widget = await models.Product.create(sku="W-1", name="Widget", category="Tools", unit_price=Decimal("10.00"))
    gadget = await models.Product.create(sku="G-1", name="Gadget", category="Tools", unit_price=Decimal("25.50"))
    spring = await models.Campaign.create(
        name="Spring", channel=models.Channel.EMAIL, budget=Decimal("100.00"), starts_on=FROM, ends_on=TO
    )
    free = await models.Campaign.create(name="Free", channel=models.Channel.WEB, starts_on=FROM, ends_on=TO)
    gone = await models.Campaign.create(
        name="Gone", channel=models.Channel.WEB, starts_on=FROM, ends_on=TO, deleted_at=GONE
    )
    S = models.OrderStatus

    async def order(customer: Any, rep: Any, campaign: Any, status: Any, when: datetime, *lines: Any, **kw: Any) -> Any:
        total = sum((Decimal(price) * qty for _, qty, price, *deleted in lines if not deleted), Decimal("0.00"))
        placed = await models.Order.create(
            customer=customer, rep=rep, campaign=campaign, status=status, ordered_at=when, total=total, **kw
        )
        for product, qty, price, *deleted in lines:
            await models.OrderLine.create(
                order=placed, product=product, quantity=qty, unit_price=Decimal(price),
                line_total=Decimal(price) * qty, deleted_at=GONE if deleted else None,
            )  # fmt: skip
        return placed

    await order(c1, ana, spring, S.COMPLETED, at("2026-01-05"), (widget, 2, "10.00"), (gadget, 1, "25.50"))
    await order(c2, ben, None, S.SHIPPED, at("2026-01-11", "23:59:59"), (gadget, 4, "25.50"), (widget, 1, "10", True))
    await order(c1, ana, None, S.CONFIRMED, at("2026-01-12", "00:00:00"), (widget, 1, "10.00"), (widget, 1, "10.00"))
    minus_two = timezone(timedelta(hours=-2))  # 2026-01-31 23:30 -02:00 is Sunday 2026-02-01 01:30 UTC
    late = at("2026-01-31", "23:30:00", minus_two)
    await order(c3, None, spring, S.COMPLETED, late, (widget, 3, "10.00"), (gadget, 2, "25.50"))
    await order(c3, ben, None, S.COMPLETED, at("2026-01-20", "12:00:00"), (gadget, 1, "10.01"))
    # None of these counts: cancelled, draft, deleted, just before and just after the window.
    await order(c2, ben, spring, S.CANCELLED, at("2026-01-06"), (widget, 1, "999.00"))
    await order(c2, ben, None, S.DRAFT, at("2026-01-07"), (widget, 1, "500.00"))
    await order(c1, ana, spring, S.COMPLETED, at("2026-01-06"), (widget, 1, "777.00"), deleted_at=GONE)
    await order(c1, ana, None, S.COMPLETED, at("2026-01-04", "23:59:59"), (widget, 1, "1.00"))
    await order(c1, ana, None, S.COMPLETED, at("2026-03-01", "00:00:00"), (widget, 1, "2.00"))

    for customer, member_status, deleted in [
        (c1, M.CONVERTED, None), (c2, M.RESPONDED, None), (c3, M.CONTACTED, None),
        (c4, M.TARGETED, None), (c5, M.TARGETED, None), (c6, M.RESPONDED, GONE),
    ]:  # fmt: skip
        await models.CampaignMember.create(campaign=spring, customer=customer, status=member_status, deleted_at=deleted)

    K, P = models.TicketKind, models.TicketPriority
    hour = timedelta(hours=1)
    for day, kind, priority, status, response, resolution, due, satisfaction, deleted in [
        ("2026-01-05", K.COMPLAINT, P.HIGH, T.CLOSED, 1, 10, 24, 4, None),
        ("2026-01-06", K.CONSULTATION, P.NORMAL, T.RESOLVED, 2, 30, 24, 2, None),  # resolved late: breach
        ("2026-01-07", K.COMPLAINT, P.URGENT, T.OPEN, 4, None, 48, None, None),  # overdue at NOW: breach
        ("2026-01-08", K.FEEDBACK, P.LOW, T.CLOSED, 0.5, 5, 24, 5, None),
        ("2026-01-09", K.COMPLAINT, P.NORMAL, T.NEW, None, None, None, None, None),
        ("2026-01-10", K.CONSULTATION, P.HIGH, T.PENDING, None, None, 24 * 50, None, None),
        ("2026-01-06", K.COMPLAINT, P.URGENT, T.OPEN, 1, None, 1, 1, GONE),
        ("2026-02-05", K.COMPLAINT, P.NORMAL, T.OPEN, 6, None, None, None, None),  # after the ticket window
    ]:
        opened = at(day)
        await models.Ticket.create(
            customer=c1, kind=kind, priority=priority, status=status, subject="s", opened_at=opened,
            first_response_at=opened + response * hour if response is not None else None,
            resolved_at=opened + resolution * hour if resolution is not None else None,
            due_at=opened + due * hour if due is not None else None, satisfaction=satisfaction, deleted_at=deleted,
        )  # fmt: skip
    return {"ana": ana, "ben": ben, "widget": widget, "gadget": gadget, "spring": spring, "free": free, "gone": gone}


def table(rows: list[reports.SalesRow]) -> list[tuple[str, str, int, str, str]]:
    return [(r.period.isoformat(), r.label, r.order_count, str(r.revenue), str(r.average_order_value)) for r in rows]


SALES = {
    (ReportPeriod.MONTH, SalesDimension.REP): [
        ("2026-01-01", "Ana Rep", 2, "65.50", "32.75"),
        ("2026-01-01", "Ben Rep", 2, "112.01", "56.01"),  # 56.005 rounds half up
        ("2026-02-01", "none", 1, "81.00", "81.00"),
    ],
    (ReportPeriod.WEEK, SalesDimension.REP): [
        ("2026-01-05", "Ana Rep", 1, "45.50", "45.50"),
        ("2026-01-05", "Ben Rep", 1, "102.00", "102.00"),
        ("2026-01-12", "Ana Rep", 1, "20.00", "20.00"),
        ("2026-01-19", "Ben Rep", 1, "10.01", "10.01"),
        ("2026-01-26", "none", 1, "81.00", "81.00"),
    ],
    (ReportPeriod.DAY, SalesDimension.REP): [
        ("2026-01-05", "Ana Rep", 1, "45.50", "45.50"),
        ("2026-01-11", "Ben Rep", 1, "102.00", "102.00"),
        ("2026-01-12", "Ana Rep", 1, "20.00", "20.00"),
        ("2026-01-20", "Ben Rep", 1, "10.01", "10.01"),
        ("2026-02-01", "none", 1, "81.00", "81.00"),
    ],
    (ReportPeriod.MONTH, SalesDimension.PRODUCT): [
        ("2026-01-01", "Gadget", 3, "137.51", "45.84"),
        ("2026-01-01", "Widget", 2, "40.00", "20.00"),  # two lines of one order count once; deleted line left out
        ("2026-02-01", "Gadget", 1, "51.00", "51.00"),
        ("2026-02-01", "Widget", 1, "30.00", "30.00"),
    ],
    (ReportPeriod.MONTH, SalesDimension.SEGMENT): [
        ("2026-01-01", "CONSUMER", 2, "65.50", "32.75"),
        ("2026-01-01", "ENTERPRISE", 1, "102.00", "102.00"),
        ("2026-01-01", "SMALL_BUSINESS", 1, "10.01", "10.01"),
        ("2026-02-01", "SMALL_BUSINESS", 1, "81.00", "81.00"),
    ],
    (ReportPeriod.MONTH, SalesDimension.CAMPAIGN): [
        ("2026-01-01", "Spring", 1, "45.50", "45.50"),
        ("2026-01-01", "none", 3, "132.01", "44.00"),
        ("2026-02-01", "Spring", 1, "81.00", "81.00"),
    ],
}


@pytest.mark.parametrize(("group_by", "by"), list(SALES))
async def test_sales_report_figures(db: None, group_by: ReportPeriod, by: SalesDimension) -> None:
    await build()
    assert table(await reports.sales_report(FROM, TO, group_by, by)) == SALES[group_by, by]


async def test_sales_report_keys_currency_and_deleted_reps(db: None) -> None:
    data = await build()
    rows = await reports.sales_report(FROM, TO, ReportPeriod.MONTH, SalesDimension.REP)
    assert [r.key_id for r in rows] == [data["ana"].pk, data["ben"].pk, None]
    assert {r.currency for r in rows} == {"EUR"}
    rows = await reports.sales_report(FROM, TO, ReportPeriod.MONTH, SalesDimension.PRODUCT)
    assert [r.key_id for r in rows] == [data["gadget"].pk, data["widget"].pk] * 2
    segments = await reports.sales_report(FROM, TO, ReportPeriod.MONTH, SalesDimension.SEGMENT)
    assert {r.key_id for r in segments} == {None}

    await models.User.filter(pk=data["ben"].pk).update(deleted_at=GONE)  # now counts as "no rep"
    rows = await reports.sales_report(FROM, TO, ReportPeriod.MONTH, SalesDimension.REP)
    assert table(rows)[1] == ("2026-01-01", "none", 2, "112.01", "56.01")
    assert rows[1].key_id is None


async def test_sales_report_in_other_currencies_is_never_summed(db: None) -> None:
    data = await build()
    customer = await models.Customer.first()
    await models.Order.create(
        customer=customer, rep=data["ana"], status=models.OrderStatus.COMPLETED, ordered_at=at("2026-01-05"),
        currency="USD", total=Decimal("7.00"),
    )  # fmt: skip
    rows = await reports.sales_report(FROM, FROM, ReportPeriod.DAY, SalesDimension.REP)
    assert [(r.label, r.currency, str(r.revenue)) for r in rows] == [
        ("Ana Rep", "EUR", "45.50"),
        ("Ana Rep", "USD", "7.00"),
    ]


async def test_ticket_statistics(db: None) -> None:
    await build()
    stats = await reports.ticket_statistics(date(2026, 1, 5), date(2026, 1, 31), now=NOW)
    assert stats.ticket_count == 6
    assert {k.name: n for k, n in stats.open_by_kind.items()} == {"CONSULTATION": 1, "FEEDBACK": 0, "COMPLAINT": 2}
    assert {p.name: n for p, n in stats.open_by_priority.items()} == {"LOW": 0, "NORMAL": 1, "HIGH": 1, "URGENT": 1}
    assert stats.median_first_response_hours == pytest.approx(1.5)  # 0.5, 1, 2, 4: mean of the middle two
    assert stats.median_resolution_hours == pytest.approx(10)  # 5, 10, 30
    assert stats.sla_breaches == 2
    assert stats.average_satisfaction == pytest.approx(11 / 3)

    everything = await reports.ticket_statistics(None, None, now=NOW)
    assert everything.ticket_count == 7
    assert everything.open_by_kind[models.TicketKind.COMPLAINT] == 3
    assert everything.median_first_response_hours == pytest.approx(2)  # 0.5, 1, 2, 4, 6

    empty = await reports.ticket_statistics(date(2030, 1, 1), None, now=NOW)
    assert (empty.ticket_count, empty.sla_breaches, empty.median_resolution_hours, empty.average_satisfaction) == (
        0, 0, None, None,
    )  # fmt: skip
    assert set(empty.open_by_priority.values()) == {0}


async def test_campaign_statistics(db: None) -> None:
    data = await build()
    spring = await reports.campaign_statistics(data["spring"].pk)
    assert spring is not None
    assert spring.members == 5
    assert {s.name: n for s, n in spring.members_by_status.items()} == {
        "TARGETED": 2, "CONTACTED": 1, "RESPONDED": 1, "CONVERTED": 1,
    }  # fmt: skip
    assert (spring.response_rate, spring.conversion_rate) == (pytest.approx(0.4), pytest.approx(0.2))
    assert (spring.attributed_orders, spring.attributed_revenue) == (2, Decimal("126.50"))
    assert spring.roi == pytest.approx(0.265)

    free = await reports.campaign_statistics(data["free"].pk)
    assert free is not None
    assert (free.members, free.response_rate, free.attributed_orders, free.roi) == (0, 0.0, 0, None)
    assert str(free.attributed_revenue) == "0.00"
    for missing in (data["gone"].pk, 999_999, 2**40, 0):
        assert await reports.campaign_statistics(missing) is None


async def test_each_report_is_one_statement(db: None, sql: StatementCounter) -> None:
    data = await build()
    calls = [
        *(reports.sales_report(FROM, TO, ReportPeriod.WEEK, by) for by in SalesDimension),
        reports.ticket_statistics(FROM, TO),
        reports.campaign_statistics(data["spring"].pk),
    ]
    for call in calls:
        sql.reset()
        await call
        assert sql.count == 1, sql.statements


async def test_too_many_rows_is_refused(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    await build()
    monkeypatch.setattr(reports, "MAX_ROWS", 2)
    with pytest.raises(InvalidArgument, match="more than 2 rows") as error:
        await reports.sales_report(FROM, TO, ReportPeriod.DAY, SalesDimension.REP)
    assert error.value.field == "groupBy"


async def test_longest_windows_are_accepted(db: None) -> None:
    for group_by, days in reports.MAX_WINDOW_DAYS.items():
        assert await reports.sales_report(FROM, FROM + timedelta(days=days - 1), group_by, SalesDimension.REP) == []


@pytest.mark.parametrize(
    ("start", "end", "group_by", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 31), ReportPeriod.MONTH, "Argument 'to' must not be before 'from'."),
        (FROM, FROM + timedelta(days=366), ReportPeriod.DAY, "Argument 'to' must be at most 366 days after 'from'"),
        (FROM, date(2029, 1, 5), ReportPeriod.DAY, "at most 366 days"),
        (FROM, FROM + timedelta(days=1096), ReportPeriod.WEEK, "at most 1096 days"),
        (FROM, FROM + timedelta(days=3653), ReportPeriod.MONTH, "at most 3653 days"),
        (date(9999, 12, 1), date.max, ReportPeriod.DAY, "Argument 'to' must be before 9999-12-31."),
    ],
)
async def test_bad_sales_windows_are_refused(start: date, end: date, group_by: ReportPeriod, message: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        await reports.sales_report(start, end, group_by, SalesDimension.REP)
    assert message in error.value.message
    assert error.value.code == "INVALID_ARGUMENT"


async def test_bad_ticket_window_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="must not be before"):
        await reports.ticket_statistics(date(2026, 2, 1), date(2026, 1, 1))
