"""Creating, changing, deleting and restoring orders, and replacing their lines.

Decisions:
- Amounts are computed here in Decimal (`line_total = quantity * unit_price`, `total` = the sum of the line
  totals) and checked against their columns: an overflow is OUT_OF_RANGE on the line (`lines.1`) or on `lines`.
- An order and its lines are written in one transaction. Each line is a row of its own with its own audit entry
  and `orderLine.created` event; the order's entry holds its columns, `total` included.
- Replaced lines are soft-deleted (the audit trail and reports keep them apart from the live ones).
- What the customer agreed to (lines, currency, orderedAt) is frozen once the order leaves DRAFT; attribution
  (rep, campaign) and the partner's externalId may be corrected in every status, with an audit entry.
- Only DRAFT or CANCELLED orders may be deleted: a confirmed order is a commitment (cancel it first), a shipped
  or completed one is part of the sales record.
- A campaign must be live (not deleted), whatever its status: orders often come in after a campaign ends.
- The same product may appear on several lines (e.g. at different prices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql.models import Campaign, Customer, Order, OrderLine, OrderStatus, Product, Role, User
from crm_graphql.resolvers.errors import DomainError, Duplicate, NotFound
from crm_graphql.resolvers.policy import Action, Entity, Forbidden, Viewer, require, scoped
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import (
    OutOfRange,
    Problems,
    Required,
    ValidationFailed,
    currency,
    non_negative_money,
    optional_length,
    positive_quantity,
)
from crm_graphql.resolvers.webhooks import record_event
from crm_graphql.resolvers.workflows import move_order
from crm_graphql.resolvers.writes.core import (
    create_row,
    delete_row,
    once,
    plain,
    restore_row,
    taken,
    unique,
    update_row,
    writable,
)

REP_ROLES = (Role.SALES_REP, Role.ADMIN)
CREATED_STATUSES = (OrderStatus.DRAFT, OrderStatus.CONFIRMED)
DELETABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.CANCELLED)
DRAFT_ONLY = {"currency": "currency", "ordered_at": "orderedAt"}
NOT_NULL = {"status": "status", **DRAFT_ONLY}


async def _clean(
    viewer: Viewer, data: Mapping[str, Any], problems: Problems, conn: BaseDBAsyncClient, *, order: Order | None = None
) -> dict[str, Any]:
    """Validated column values for the order fields given (`order` is the one being changed, if any)."""
    values: dict[str, Any] = {}
    if order is not None:
        for column, field in NOT_NULL.items():
            if column in data and data[column] is None:
                problems.add(Required("Must not be null.", field))
    if "customer_id" in data:
        values["customer_id"] = await _customer(viewer, data["customer_id"], problems, conn)
    if "rep_id" in data:
        values["rep_id"] = await _rep(viewer, data["rep_id"], problems, conn)
    if "campaign_id" in data:
        values["campaign_id"] = await _campaign(data["campaign_id"], problems, conn)
    if data.get("status") is not None:
        values.update(_status(order, data["status"], problems))
    if data.get("ordered_at") is not None:
        values["ordered_at"] = problems.check(_aware, data["ordered_at"], field="orderedAt")
    if data.get("currency") is not None:
        values["currency"] = problems.check(currency, data["currency"], field="currency")
    if "external_id" in data:
        values["external_id"] = await _external_id(data["external_id"], order, problems, conn)
    if order is not None and order.status != OrderStatus.DRAFT:
        for column, field in DRAFT_ONLY.items():
            if column in values and values[column] != getattr(order, column):
                problems.add(
                    DomainError(f"Only a DRAFT order can change its {field}; this one is {_name(order)}.", field)
                )
    return values


def _status(order: Order | None, status: OrderStatus, problems: Problems) -> dict[str, Any]:
    if order is not None:
        return problems.check(move_order, OrderStatus(order.status), status) or {}
    if status not in CREATED_STATUSES:
        problems.add(ValidationFailed(f"A new order is DRAFT or CONFIRMED, not {status.name}.", "status"))
    return {"status": status}


def _aware(value: datetime, *, field: str) -> datetime:
    if value.utcoffset() is None:
        raise ValidationFailed("Must include a time zone offset, e.g. 2030-03-01T09:00:00+01:00.", field)
    return value.astimezone(UTC)


def _name(order: Order) -> str:
    return OrderStatus(order.status).name


async def _customer(viewer: Viewer, pk: int, problems: Problems, conn: BaseDBAsyncClient) -> int:
    # Outside a rep's own customers the customer does not exist for them: NOT_FOUND, not FORBIDDEN.
    if not await scoped(viewer, Customer).filter(pk=pk).using_db(conn).exists():
        problems.add(NotFound("No Customer with this ID.", "customer"))
    return pk


async def _rep(viewer: Viewer, pk: int | None, problems: Problems, conn: BaseDBAsyncClient) -> int | None:
    if viewer.role is Role.SALES_REP and pk != viewer.user_id:
        problems.add(Forbidden("Sales reps can only credit orders to themselves.", "rep"))
        return None
    if pk is None:
        return None
    rep = await User.filter(pk=pk, active=True, deleted_at__isnull=True).using_db(conn).first()
    if rep is None or rep.role not in REP_ROLES:
        problems.add(NotFound("The rep must be an active sales rep or admin.", "rep"))
    return pk


async def _campaign(pk: int | None, problems: Problems, conn: BaseDBAsyncClient) -> int | None:
    if pk is not None and not await Campaign.filter(pk=pk, deleted_at__isnull=True).using_db(conn).exists():
        problems.add(NotFound("No Campaign with this ID.", "campaign"))
    return pk


async def _external_id(value: str | None, order: Order | None, problems: Problems, conn: BaseDBAsyncClient) -> Any:
    external_id = problems.check(optional_length, value, field="externalId", model=Order, column="external_id")
    if external_id and await taken(Order, "external_id", external_id, conn, other_than=order.pk if order else None):
        problems.add(Duplicate("Another order already has this externalId.", "externalId"))
    return external_id


async def _lines(
    lines: Sequence[Mapping[str, Any]], problems: Problems, conn: BaseDBAsyncClient
) -> tuple[list[dict[str, Any]], Decimal]:
    """The line rows to write (without their order) and the order total."""
    known = len(problems.errors)
    if not lines:
        problems.add(Required("An order needs at least one line.", "lines"))
    ids = {line["product_id"] for line in lines}
    products = {p.pk: p for p in await Product.filter(pk__in=ids, deleted_at__isnull=True).using_db(conn)}
    rows = [_line(f"lines.{n}", line, products.get(line["product_id"]), problems) for n, line in enumerate(lines)]
    total = sum((row["line_total"] for row in rows if row), Decimal("0.00"))
    if len(problems.errors) == known:  # the total of invalid lines would only repeat their errors
        total = _amount(problems, "The order total", total, "lines", Order, "total")
    return [row for row in rows if row], total


def _line(path: str, line: Mapping[str, Any], product: Product | None, problems: Problems) -> dict[str, Any] | None:
    """The row of one line (None if invalid): the product's current price unless one is given."""
    quantity = problems.check(positive_quantity, line["quantity"], field=f"{path}.quantity")
    if product is None:
        problems.add(NotFound("No Product with this ID.", f"{path}.product"))
    elif not product.active:
        problems.add(ValidationFailed(f"Product {product.sku} is inactive and cannot be ordered.", f"{path}.product"))
    price: Decimal | None = product.unit_price if product else None
    if line.get("unit_price") is not None:
        price = problems.check(
            non_negative_money, line["unit_price"], field=f"{path}.unitPrice", model=OrderLine, column="unit_price"
        )
    if quantity is None or price is None:
        return None
    line_total = _amount(problems, "The line total", quantity * price, path, OrderLine, "line_total")
    return {"product_id": line["product_id"], "quantity": quantity, "unit_price": price, "line_total": line_total}


def _amount(problems: Problems, what: str, value: Decimal, field: str, model: type[Model], column: str) -> Decimal:
    """`value` checked against `model.column`, an overflow told as `what` (it is computed, not typed in)."""
    try:
        return non_negative_money(value, field=field, model=model, column=column)
    except OutOfRange as error:
        problems.add(OutOfRange(f"{what} {error.message[0].lower()}{error.message[1:]}", field))
        return value


async def _write_lines(viewer: Viewer, order: Order, rows: list[dict[str, Any]], conn: BaseDBAsyncClient) -> None:
    for row in rows:
        await create_row(viewer, OrderLine, {"order_id": order.pk, **row}, conn)


async def _status_event(viewer: Viewer, order: Order, previous: OrderStatus | None, conn: BaseDBAsyncClient) -> None:
    """`order.confirmed`, `order.shipped`, … beside the generic created/updated event."""
    payload = {
        "id": order.pk,
        "customer_id": order.customer_id,
        "status": _name(order),
        "previous_status": previous and previous.name,
        "total": plain(order.total),
        "currency": order.currency,
        "actor": viewer.actor,
    }
    await record_event(f"order.{OrderStatus(order.status).value}", "Order", order.pk, payload, using_db=conn)


async def create_order(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None
) -> tuple[Order, bool]:
    """A new order with its lines (credited to the rep creating it, unless a rep is given) and whether it was
    replayed."""
    viewer = require(viewer, Entity.ORDERS, Action.WRITE)
    if viewer.role is Role.SALES_REP:
        data = {"rep_id": viewer.user_id, **data}

    async def create(conn: BaseDBAsyncClient) -> Order:
        problems = Problems()
        values = await _clean(viewer, {k: v for k, v in data.items() if k != "lines"}, problems, conn)
        rows, total = await _lines(data["lines"], problems, conn)
        problems.raise_if_any()
        values.setdefault("ordered_at", datetime.now(UTC))
        order = await unique(
            create_row(viewer, Order, {**values, "total": total}, conn),
            "Another order already has this externalId.",
            "externalId",
        )
        await _write_lines(viewer, order, rows, conn)
        if order.status == OrderStatus.CONFIRMED:
            await _status_event(viewer, order, None, conn)
        return order

    return await once(viewer, idempotency_key, "orderCreate", data, create, Order)


async def update_order(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> Order:
    """The order with the changes applied; a status change follows the order lifecycle."""
    async with in_transaction(PRIMARY) as conn:
        viewer, order = await writable(viewer, Order, pk, conn)
        previous = OrderStatus(order.status)
        problems = Problems()
        values = await _clean(viewer, data, problems, conn, order=order)
        problems.raise_if_any()
        order = await unique(
            update_row(viewer, order, values, version, conn), "Another order already has this externalId.", "externalId"
        )
        if order.status != previous:
            await _status_event(viewer, order, previous, conn)
        return order


async def replace_order_lines(
    viewer: Viewer | None, pk: int, version: int, lines: Sequence[Mapping[str, Any]]
) -> Order:
    """The DRAFT order with `lines` instead of its current ones and the total recomputed."""
    async with in_transaction(PRIMARY) as conn:
        viewer, order = await writable(viewer, Order, pk, conn)
        if order.status != OrderStatus.DRAFT:
            raise DomainError(f"Only a DRAFT order can change its lines; this one is {_name(order)}.", "lines")
        problems = Problems()
        rows, total = await _lines(lines, problems, conn)
        problems.raise_if_any()
        for line in await OrderLine.filter(order_id=pk, deleted_at__isnull=True).using_db(conn):
            await delete_row(viewer, line, line.version, conn)
        await _write_lines(viewer, order, rows, conn)
        order = await update_row(viewer, order, {"total": total}, version, conn)
        if order.version == version:
            # The total stayed the same, so update_row changed nothing; the lines did change, and a client
            # holding this version must get a CONFLICT. (update_row checked the version under the row lock.)
            await Order.filter(pk=pk).using_db(conn).update(version=F("version") + 1, updated_at=datetime.now(UTC))
            await order.refresh_from_db(using_db=conn)
        return order


async def delete_order(viewer: Viewer | None, pk: int, version: int) -> Order:
    async with in_transaction(PRIMARY) as conn:
        viewer, order = await writable(viewer, Order, pk, conn)
        if order.status not in DELETABLE_STATUSES:
            raise DomainError(f"Only DRAFT or CANCELLED orders can be deleted; this one is {_name(order)}.", "id")
        return await delete_row(viewer, order, version, conn)


async def restore_order(viewer: Viewer | None, pk: int) -> Order:
    async with in_transaction(PRIMARY) as conn:
        viewer, order = await writable(viewer, Order, pk, conn, deleted=True)
        return await restore_row(viewer, order, conn)
