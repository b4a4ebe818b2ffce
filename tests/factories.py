"""Small, explicit data builders for tests (the demo data set is tested on its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crm_graphql import models

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def rep(name: str = "Ana Rep", email: str = "ana@example.com") -> models.User:
    return await models.User.create(name=name, email=email, role=models.Role.SALES_REP)


async def customers_with_orders(count: int, orders_each: int = 2, lines_each: int = 2) -> list[models.Customer]:
    """`count` customers, each with orders, each order with lines of distinct products."""
    owner = await rep()
    products = [
        await models.Product.create(sku=f"SKU-{i}", name=f"Product {i}", category="Tools", unit_price=Decimal("9.50"))
        for i in range(lines_each)
    ]
    await models.Customer.bulk_create(
        [
            models.Customer(
                name=f"Customer {i:04d}", email=f"c{i}@example.org", segment=models.Segment.CONSUMER, owner=owner
            )
            for i in range(count)
        ]
    )
    customers = await models.Customer.all().order_by("id")
    await models.Order.bulk_create(
        [
            models.Order(
                customer=c, rep=owner, status=models.OrderStatus.COMPLETED, ordered_at=START + timedelta(days=n)
            )
            for c in customers
            for n in range(orders_each)
        ]
    )
    orders = await models.Order.all().order_by("id")
    await models.OrderLine.bulk_create(
        [
            models.OrderLine(order=o, product=p, quantity=2, unit_price=p.unit_price, line_total=p.unit_price * 2)
            for o in orders
            for p in products
        ]
    )
    return customers
