"""The ceiling: Q1's and Q2's JSON, each made by one hand-written SQL statement, in a bare ASGI app.

CEILING_DSN=postgresql://... uvicorn ceiling:app    # POST /q1 or /q2 (the body is ignored)
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg

UTC_ISO = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""


def edges(node: str, order: str) -> str:
    """A connection's `{edges: [{node}]}` aggregated over the rows in FROM, in `order`."""
    return (
        f"json_build_object('edges', COALESCE(json_agg(json_build_object('node', {node}) ORDER BY {order}), "
        "'[]'::json))"
    )


# customers(first: 100) { edges { node { name email phone segment createdAt } } }
CUSTOMER = (
    "json_build_object('name', c.name, 'email', c.email, 'phone', c.phone, 'segment', upper(c.segment), "
    f"'createdAt', {UTC_ISO.format('c.created_at')})"
)
Q1 = (
    f"SELECT json_build_object('data', json_build_object('customers', {edges(CUSTOMER, 'c.id')}))::text "
    "FROM (SELECT * FROM customers WHERE deleted_at IS NULL ORDER BY id LIMIT 100) c"
)

# customers(first: 50) { edges { node { name orders(last: 10) { edges { node { orderedAt total
#   lines(first: 20) { edges { node { quantity product { name } } } } } } } } } }
LINE = "json_build_object('quantity', l.quantity, 'product', json_build_object('name', p.name))"
LINES = (
    f"(SELECT {edges(LINE, 'l.id')} "
    "FROM (SELECT * FROM order_lines WHERE order_id = o.id AND deleted_at IS NULL ORDER BY id LIMIT 20) l "
    "JOIN products p ON p.id = l.product_id)"
)
ORDER = f"json_build_object('orderedAt', {UTC_ISO.format('o.ordered_at')}, 'total', o.total::text, 'lines', {LINES})"
ORDERS = (
    f"(SELECT {edges(ORDER, 'o.id')} FROM (SELECT * FROM orders WHERE customer_id = c.id AND deleted_at IS NULL "
    "ORDER BY id DESC LIMIT 10) o)"
)
CUSTOMER_ORDERS = f"json_build_object('name', c.name, 'orders', {ORDERS})"
Q2 = (
    f"SELECT json_build_object('data', json_build_object('customers', {edges(CUSTOMER_ORDERS, 'c.id')}))::text "
    "FROM (SELECT * FROM customers WHERE deleted_at IS NULL ORDER BY id LIMIT 50) c"
)

STATEMENTS = {"/q1": Q1, "/q2": Q2}
_pool: asyncpg.Pool | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            _pool = await asyncpg.create_pool(os.environ["CEILING_DSN"], min_size=5, max_size=10)
            await send({"type": "lifespan.startup.complete"})
        if _pool is not None:
            await _pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    while (await receive()).get("more_body"):
        pass
    statement = STATEMENTS.get(scope["path"])
    if statement is None or _pool is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = (await _pool.fetchval(statement)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
