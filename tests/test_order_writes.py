"""Order mutations through the HTTP API: totals, lines, lifecycle, locking, idempotency, row scope, audit, outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from strawberry.relay import GlobalID
from tortoise import Tortoise

from crm_graphql import models
from crm_graphql.models import Role
from tests.conftest import GraphQLClient, client_for, make_key

ORDER = """
order {
  id status total currency orderedAt version externalId rep { name } campaign { name }
  lines { edges { node { quantity unitPrice lineTotal product { sku } } } }
}
errors { field code message }
"""
CREATE = f"mutation ($input: OrderCreateInput!) {{ orderCreate(input: $input) {{ {ORDER} }} }}"
UPDATE = f"mutation ($input: OrderUpdateInput!) {{ orderUpdate(input: $input) {{ {ORDER} }} }}"
REPLACE = f"mutation ($input: OrderLinesReplaceInput!) {{ orderLinesReplace(input: $input) {{ {ORDER} }} }}"
DELETE = "mutation ($input: OrderDeleteInput!) { orderDelete(input: $input) { order { id } errors { code message } } }"
RESTORE = "mutation ($input: OrderRestoreInput!) { orderRestore(input: $input) { order { version } errors { code } } }"

Catalog = dict[str, str]


def gid(type_name: str, row: Any) -> str:
    return str(GlobalID(type_name, str(row if isinstance(row, int) else row.pk)))


async def catalog(owner: models.User | None = None) -> Catalog:
    """Global IDs of a customer, products (active, cheap, inactive, deleted, huge prices) and campaigns."""

    async def product(sku: str, price: str, **fields: Any) -> str:
        row = await models.Product.create(sku=sku, name=sku, category="Tools", unit_price=Decimal(price), **fields)
        return gid("Product", row)

    customer = await models.Customer.create(name="Anna Weber", segment=models.Segment.CONSUMER, owner=owner)
    campaign = await models.Campaign.create(
        name="Spring", channel=models.Channel.EMAIL, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31)
    )
    gone = await models.Campaign.create(
        name="Gone", channel=models.Channel.WEB, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31)
    )
    gone.deleted_at = datetime.now(UTC)
    await gone.save()
    return {
        "customer": gid("Customer", customer),
        "campaign": gid("Campaign", campaign),
        "goneCampaign": gid("Campaign", gone),
        "pen": await product("PEN", "19.99"),
        "clip": await product("CLIP", "0.01"),
        "old": await product("OLD", "5.00", active=False),
        "deleted": await product("DELETED", "5.00", deleted_at=datetime.now(UTC)),
        "yacht": await product("YACHT", "9999999.99"),
    }


def standard_lines(c: Catalog) -> list[dict[str, Any]]:
    return [{"product": c["pen"], "quantity": 3}, {"product": c["clip"], "quantity": 1}]


async def create(gql: GraphQLClient, c: Catalog, **fields: Any) -> dict[str, Any]:
    payload = {"customer": c["customer"], "lines": standard_lines(c), **fields}
    result: dict[str, Any] = (await gql.data(CREATE, {"input": payload}))["orderCreate"]
    return result


async def update(gql: GraphQLClient, order_id: str, version: int, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql.data(UPDATE, {"input": {"id": order_id, "version": version, **fields}}))[
        "orderUpdate"
    ]
    return result


def codes(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


async def event_names() -> list[str]:
    return [e.name for e in await models.OutboxEvent.all().order_by("id")]


async def assert_nothing_written() -> None:
    counts = [await m.all().count() for m in (models.Order, models.OrderLine, models.AuditEntry, models.OutboxEvent)]
    assert counts == [0, 0, 0, 0]


async def test_create_computes_totals_and_writes_lines_audit_and_events(gql: GraphQLClient) -> None:
    c = await catalog()
    result = await create(gql, c, campaign=c["campaign"], externalId="ERP-1")
    assert result["errors"] == []
    order = result["order"]
    assert (order["status"], order["total"], order["currency"], order["version"]) == ("DRAFT", "59.98", "EUR", 1)
    assert order["campaign"] == {"name": "Spring"}
    assert [e["node"] for e in order["lines"]["edges"]] == [
        {"quantity": 3, "unitPrice": "19.99", "lineTotal": "59.97", "product": {"sku": "PEN"}},
        {"quantity": 1, "unitPrice": "0.01", "lineTotal": "0.01", "product": {"sku": "CLIP"}},
    ]
    row = await models.Order.get()
    assert row.total == Decimal("59.98")
    assert sum(line.line_total for line in await models.OrderLine.all()) == Decimal("59.98")
    audit = await models.AuditEntry.all().order_by("id")
    assert [(a.entity, a.action) for a in audit] == [
        ("Order", "create"),
        ("OrderLine", "create"),
        ("OrderLine", "create"),
    ]
    assert audit[0].changes["total"] == [None, "59.98"]
    assert audit[1].changes["line_total"] == [None, "59.97"]
    assert await event_names() == ["order.created", "orderLine.created", "orderLine.created"]


async def test_create_confirmed_with_own_prices_sends_order_confirmed(gql: GraphQLClient) -> None:
    c = await catalog()
    lines = [{"product": c["pen"], "quantity": 2, "unitPrice": "17.5"}, {"product": c["pen"], "quantity": 1}]
    result = await create(
        gql, c, lines=lines, status="CONFIRMED", currency="usd", orderedAt="2026-03-02T10:00:00+01:00"
    )
    order = result["order"]
    assert (order["status"], order["total"], order["currency"]) == ("CONFIRMED", "54.99", "USD")
    assert order["orderedAt"] == "2026-03-02T09:00:00+00:00"
    assert await event_names() == ["order.created", "orderLine.created", "orderLine.created", "order.confirmed"]
    confirmed = await models.OutboxEvent.get(name="order.confirmed")
    assert confirmed.payload["total"] == "54.99"
    assert (confirmed.payload["status"], confirmed.payload["previous_status"]) == ("CONFIRMED", None)


def lines_of(*lines: tuple[str, int, str | None]) -> Callable[[Catalog], dict[str, Any]]:
    """An input with these (product key, quantity, unit price) lines."""

    def build(c: Catalog) -> dict[str, Any]:
        return {
            "lines": [
                {"product": c.get(key, key), "quantity": quantity, "unitPrice": price} for key, quantity, price in lines
            ]
        }

    return build


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda c: {"lines": []}, [("lines", "REQUIRED")]),
        (lines_of(("pen", 0, None)), [("lines.0.quantity", "OUT_OF_RANGE")]),
        (lines_of(("pen", 1, None), ("clip", 0, None)), [("lines.1.quantity", "OUT_OF_RANGE")]),
        (lines_of(("pen", 1, None), (gid("Product", 999), 1, None)), [("lines.1.product", "NOT_FOUND")]),
        (lines_of(("old", 1, None)), [("lines.0.product", "INVALID")]),
        (lines_of(("deleted", 1, None)), [("lines.0.product", "NOT_FOUND")]),
        (lambda c: {"lines": [{"product": c["customer"], "quantity": 1}]}, [("lines.0.product", "NOT_FOUND")]),
        (lines_of(("pen", 1, "-0.01")), [("lines.0.unitPrice", "OUT_OF_RANGE")]),
        (lines_of(("pen", 1, "1.005")), [("lines.0.unitPrice", "INVALID")]),
        (lines_of(("pen", 1_000_000, "9999999999.99")), [("lines.0", "OUT_OF_RANGE")]),
        (lines_of(("yacht", 100_000, None), ("yacht", 100_000, None)), [("lines", "OUT_OF_RANGE")]),
        (lambda c: {"currency": "EURO"}, [("currency", "INVALID")]),
        (lambda c: {"status": "SHIPPED"}, [("status", "INVALID")]),
        (lambda c: {"customer": gid("Customer", 999)}, [("customer", "NOT_FOUND")]),
        (lambda c: {"campaign": c["goneCampaign"]}, [("campaign", "NOT_FOUND")]),
        (lambda c: {"orderedAt": "2026-03-02T10:00:00"}, [("orderedAt", "INVALID")]),
        (lambda c: {"externalId": "e" * 101}, [("externalId", "TOO_LONG")]),
        (
            lambda c: {"currency": "€", **lines_of(("pen", 0, None), ("old", 2, "-1"))(c)},
            [
                ("currency", "INVALID"),
                ("lines.0.quantity", "OUT_OF_RANGE"),
                ("lines.1.product", "INVALID"),
                ("lines.1.unitPrice", "OUT_OF_RANGE"),
            ],
        ),
    ],
)
async def test_invalid_input_is_reported_field_by_field_and_writes_nothing(
    gql: GraphQLClient, build: Callable[[Catalog], dict[str, Any]], expected: list[tuple[str, str]]
) -> None:
    c = await catalog()
    result = await create(gql, c, **build(c))
    assert result["order"] is None
    assert codes(result) == expected
    await assert_nothing_written()


async def test_overflow_messages_name_the_computed_amount(gql: GraphQLClient) -> None:
    c = await catalog()
    result = await create(gql, c, **lines_of(("yacht", 100_000, None), ("yacht", 100_000, None))(c))
    assert result["errors"][0]["message"] == "The order total must be at most 999999999999.99, got 1999999998000.00."


@pytest.fixture
async def failing_line(app: Any) -> AsyncIterator[int]:
    """A database trigger rejecting order lines of quantity 7 (a failure after the order row is written);
    dropped afterwards, since the PostgreSQL database is shared between tests."""
    connection = Tortoise.get_connection("default")
    sqlite = connection.capabilities.dialect == "sqlite"
    await connection.execute_script(
        "CREATE TRIGGER fail_line BEFORE INSERT ON order_lines WHEN NEW.quantity = 7 "
        "BEGIN SELECT RAISE(ABORT, 'line rejected'); END;"
        if sqlite
        else "CREATE FUNCTION fail_line() RETURNS trigger AS $$ BEGIN IF NEW.quantity = 7 THEN "
        "RAISE EXCEPTION 'line rejected'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER fail_line BEFORE INSERT ON order_lines FOR EACH ROW EXECUTE FUNCTION fail_line();"
    )
    yield 7
    await connection.execute_script(
        "DROP TRIGGER fail_line;" if sqlite else "DROP TRIGGER fail_line ON order_lines; DROP FUNCTION fail_line();"
    )


async def test_a_database_failure_on_the_second_line_writes_nothing(gql: GraphQLClient, failing_line: int) -> None:
    c = await catalog()
    lines = [{"product": c["pen"], "quantity": 1}, {"product": c["clip"], "quantity": failing_line}]
    body = await gql(CREATE, {"input": {"customer": c["customer"], "lines": lines}})
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    await assert_nothing_written()


async def test_status_moves_follow_the_lifecycle_and_send_events(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    for version, status in enumerate(("CONFIRMED", "SHIPPED"), start=1):
        assert (await update(gql, order["id"], version, status=status))["order"]["status"] == status
    refused = await update(gql, order["id"], 3, status="CANCELLED")
    assert refused["errors"] == [
        {
            "field": "status",
            "code": "INVALID_TRANSITION",
            "message": "Cannot move an order from SHIPPED to CANCELLED; allowed from SHIPPED: COMPLETED.",
        }
    ]
    assert (await update(gql, order["id"], 3, status="COMPLETED"))["order"]["version"] == 4
    final = await update(gql, order["id"], 4, status="DRAFT")
    assert (
        final["errors"][0]["message"] == "Cannot move an order from COMPLETED to DRAFT; allowed from COMPLETED: none."
    )
    moves = [name for name in await event_names() if name.startswith("order.")]
    assert moves == [
        "order.created",
        "order.updated",
        "order.confirmed",
        "order.updated",
        "order.shipped",
        "order.updated",
        "order.completed",
    ]
    shipped = await models.OutboxEvent.get(name="order.shipped")
    assert (shipped.payload["status"], shipped.payload["previous_status"]) == ("SHIPPED", "CONFIRMED")

    draft = (await create(gql, c))["order"]
    assert (await update(gql, draft["id"], 1, status="CANCELLED"))["order"]["status"] == "CANCELLED"
    assert (await event_names())[-1] == "order.cancelled"


async def test_only_draft_orders_change_currency_and_ordered_at(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    draft = await update(gql, order["id"], 1, currency="chf", orderedAt="2026-01-05T09:00:00Z")
    assert (draft["order"]["currency"], draft["order"]["orderedAt"]) == ("CHF", "2026-01-05T09:00:00+00:00")
    await update(gql, order["id"], 2, status="CONFIRMED")
    refused = await update(gql, order["id"], 3, currency="USD", orderedAt="2026-01-06T09:00:00Z")
    assert refused["errors"] == [
        {
            "field": "currency",
            "code": "INVALID",
            "message": "Only a DRAFT order can change its currency; this one is CONFIRMED.",
        },
        {
            "field": "orderedAt",
            "code": "INVALID",
            "message": "Only a DRAFT order can change its orderedAt; this one is CONFIRMED.",
        },
    ]
    # Attribution stays correctable; resending the unchanged currency is no change.
    fixed = await update(gql, order["id"], 3, currency="CHF", campaign=c["campaign"], externalId="ERP-7")
    assert fixed["errors"] == []
    assert (fixed["order"]["campaign"], fixed["order"]["externalId"], fixed["order"]["version"]) == (
        {"name": "Spring"},
        "ERP-7",
        4,
    )
    nulls = await update(gql, order["id"], 4, status=None, currency=None)
    assert codes(nulls) == [("status", "REQUIRED"), ("currency", "REQUIRED")]


async def test_external_ids_are_unique(gql: GraphQLClient) -> None:
    c = await catalog()
    await create(gql, c, externalId="ERP-1")
    assert codes(await create(gql, c, externalId="erp-1")) == [("externalId", "DUPLICATE")]


async def test_stale_version_is_a_conflict_and_writes_nothing(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    await update(gql, order["id"], 1, externalId="ERP-1")
    stale = await update(gql, order["id"], 1, status="CONFIRMED")
    assert stale["errors"] == [
        {
            "field": "version",
            "code": "CONFLICT",
            "message": "Order changed since version 1 (now 2): read it again and retry.",
        }
    ]
    lines = [{"product": c["clip"], "quantity": 1}]
    replaced = (await gql.data(REPLACE, {"input": {"id": order["id"], "version": 1, "lines": lines}}))[
        "orderLinesReplace"
    ]
    assert codes(replaced) == [("version", "CONFLICT")]
    row = await models.Order.get()
    assert (row.status, row.version, row.total) == (models.OrderStatus.DRAFT, 2, Decimal("59.98"))
    assert await models.OrderLine.filter(deleted_at__isnull=True).count() == 2
    assert await event_names() == ["order.created", "orderLine.created", "orderLine.created", "order.updated"]


async def test_replacing_lines_recomputes_the_total_and_bumps_the_version(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]

    async def replace(version: int, lines: list[dict[str, Any]]) -> dict[str, Any]:
        data = await gql.data(REPLACE, {"input": {"id": order["id"], "version": version, "lines": lines}})
        result: dict[str, Any] = data["orderLinesReplace"]
        return result

    first = (await replace(1, [{"product": c["clip"], "quantity": 5}]))["order"]
    assert (first["total"], first["version"]) == ("0.05", 2)
    assert [e["node"]["lineTotal"] for e in first["lines"]["edges"]] == ["0.05"]
    assert await models.OrderLine.filter(deleted_at__isnull=False).count() == 2  # kept for the audit trail
    same_total = (await replace(2, [{"product": c["clip"], "quantity": 1, "unitPrice": "0.05"}]))["order"]
    assert (same_total["total"], same_total["version"]) == ("0.05", 3)
    invalid = await replace(3, [{"product": c["pen"], "quantity": 1}, {"product": c["old"], "quantity": 1}])
    assert codes(invalid) == [("lines.1.product", "INVALID")]
    assert codes(await replace(3, [])) == [("lines", "REQUIRED")]
    await update(gql, order["id"], 3, status="CONFIRMED")
    confirmed = await replace(4, [{"product": c["pen"], "quantity": 1}])
    assert confirmed["errors"] == [
        {
            "field": "lines",
            "code": "INVALID",
            "message": "Only a DRAFT order can change its lines; this one is CONFIRMED.",
        }
    ]
    live = await models.OrderLine.filter(deleted_at__isnull=True)
    assert [(line.quantity, line.unit_price) for line in live] == [(1, Decimal("0.05"))]
    assert (await models.Order.get()).total == Decimal("0.05")


async def test_only_draft_or_cancelled_orders_are_deleted_and_restored(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    assert (await gql.data(DELETE, {"input": {"id": order["id"], "version": 1}}))["orderDelete"]["errors"] == []
    assert (await gql.data("{ orders { totalCount } }"))["orders"]["totalCount"] == 0
    restored = (await gql.data(RESTORE, {"input": {"id": order["id"]}}))["orderRestore"]
    assert restored == {"order": {"version": 3}, "errors": []}
    await update(gql, order["id"], 3, status="CONFIRMED")
    refused = (await gql.data(DELETE, {"input": {"id": order["id"], "version": 4}}))["orderDelete"]
    assert refused["errors"] == [
        {"code": "INVALID", "message": "Only DRAFT or CANCELLED orders can be deleted; this one is CONFIRMED."}
    ]
    await update(gql, order["id"], 4, status="CANCELLED")
    assert (await gql.data(DELETE, {"input": {"id": order["id"], "version": 5}}))["orderDelete"]["errors"] == []
    assert await models.Order.filter(deleted_at__isnull=True).count() == 0


async def test_idempotency_key_replays_without_a_second_order(gql: GraphQLClient) -> None:
    c = await catalog()
    first = await create(gql, c, idempotencyKey="order-1")
    replay = await create(gql, c, idempotencyKey="order-1")
    assert replay["order"]["id"] == first["order"]["id"]
    assert replay["order"]["total"] == "59.98"
    assert [await m.all().count() for m in (models.Order, models.OrderLine, models.AuditEntry, models.OutboxEvent)] == [
        1,
        2,
        3,
        3,
    ]
    other = await create(gql, c, idempotencyKey="order-1", lines=[{"product": c["pen"], "quantity": 4}])
    assert codes(other) == [("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")]
    assert await models.Order.all().count() == 1


async def test_sales_reps_order_only_for_their_own_customers_and_credit_themselves(
    gql: GraphQLClient, app: Any
) -> None:
    key = await make_key(Role.SALES_REP, email="rep@example.com")
    rep = await models.User.get(email="rep@example.com")
    other_rep = await models.User.create(name="Other", email="other@example.com", role=Role.SALES_REP)
    mine = await catalog(owner=rep)
    other_customer = await models.Customer.create(name="Ben", segment=models.Segment.CONSUMER, owner=other_rep)
    theirs = {**mine, "customer": gid("Customer", other_customer)}
    their_order = (await create(gql, theirs))["order"]
    async with client_for(app, key) as http:
        as_rep = GraphQLClient(http)
        own = await create(as_rep, mine)
        assert own["order"]["rep"] == {"name": "Test sales_rep"}
        assert codes(await create(as_rep, theirs)) == [("customer", "NOT_FOUND")]
        assert codes(await create(as_rep, mine, rep=gid("User", other_rep))) == [("rep", "FORBIDDEN")]
        assert codes(await update(as_rep, their_order["id"], 1, status="CONFIRMED")) == [("id", "NOT_FOUND")]
        assert codes(await update(as_rep, own["order"]["id"], 1, rep=None)) == [("rep", "FORBIDDEN")]
    assert await models.Order.all().count() == 2
    assert (await models.Order.get(pk=int(GlobalID.from_id(their_order["id"]).node_id))).status == "draft"


async def test_support_agents_cannot_write_orders(gql: GraphQLClient, app: Any) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    async with client_for(app, await make_key(Role.SUPPORT_AGENT)) as http:
        agent = GraphQLClient(http)
        assert codes(await create(agent, c)) == [(None, "FORBIDDEN")]
        assert codes(await update(agent, order["id"], 1, status="CANCELLED")) == [(None, "FORBIDDEN")]
    assert await models.Order.all().count() == 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_twenty_concurrent_status_moves_one_wins(gql: GraphQLClient) -> None:
    c = await catalog()
    order = (await create(gql, c))["order"]
    results = await asyncio.gather(*(update(gql, order["id"], 1, status="CONFIRMED") for _ in range(20)))
    assert sum(1 for r in results if r["errors"] == []) == 1
    assert sum(1 for r in results if codes(r) == [("version", "CONFLICT")]) == 19
    assert (await event_names()).count("order.confirmed") == 1
    assert (await models.Order.get()).version == 2
