"""Subscriptions over graphql-transport-ws: a real websocket client against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager, suppress
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from strawberry.relay import GlobalID
from tortoise.transactions import in_transaction
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.http import WS_NO_CREDENTIALS
from crm_graphql.models import Role
from crm_graphql.resolvers.events import MAX_BACKLOG, Event, RedisBus, StreamBroken, Subscriber
from crm_graphql.resolvers.policy import Viewer
from crm_graphql.resolvers.writes.core import update_row, writable
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, client_for, make_key
from tests.test_server import free_port, serving

PROTOCOL = Subprotocol("graphql-transport-ws")
CHANGED = "subscription ($id: ID) { customerChanged(id: $id) { id name version owner { name } } }"
CREATE = "mutation ($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } errors { code } } }"
UPDATE_TICKET = "mutation ($input: TicketUpdateInput!) { ticketUpdate(input: $input) { errors { code } } }"
CREATE_ORDER = "mutation ($input: OrderCreateInput!) { orderCreate(input: $input) { errors { code } } }"
UPDATE = "mutation ($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { id } errors { code } } }"


class Socket:
    """The client side of graphql-transport-ws on a real websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = count(1)

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation = str(next(self.ids))
        await self.send("subscribe", id=operation, payload={"query": query, "variables": variables or {}})
        return operation

    async def next(self, operation: str, timeout: float = 10) -> dict[str, Any]:
        """The data of the next message, which must be a result of `operation` without errors."""
        message = await self.receive(timeout)
        assert message["type"] == "next" and message["id"] == operation, message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data


@asynccontextmanager
async def connected(url: str, payload: dict[str, Any]) -> AsyncIterator[Socket]:
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        socket = Socket(ws)
        await socket.send("connection_init", payload=payload)
        assert await socket.receive() == {"type": "connection_ack"}
        yield socket


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def refusal(url: str, *messages: dict[str, Any], protocol: str = PROTOCOL) -> tuple[int, str]:
    """The close code and reason with which the server ends a connection that sent `messages`."""
    async with connect(url, subprotocols=[Subprotocol(protocol)], open_timeout=10) as ws:
        for message in messages:
            await ws.send(json.dumps(message))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app (its lifespan already running) under a real uvicorn server on loopback; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{config.port}/graphql"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with served(app) as url:
        yield url


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def subscribed(app: Any, count: int = 1) -> None:
    """Wait until the server registered `count` subscribers (the protocol has no message for it)."""
    await until(lambda: len(app.state.events.subscribers) == count)


async def create(gql: GraphQLClient, name: str, **fields: Any) -> str:
    data = await gql.data(CREATE, {"input": {"name": name, "segment": "CONSUMER", **fields}})
    assert data["customerCreate"]["errors"] == [], data
    customer_id: str = data["customerCreate"]["customer"]["id"]
    return customer_id


async def rename(gql: GraphQLClient, customer_id: str, name: str) -> None:
    pk = int(GlobalID.from_id(customer_id).node_id)
    version = (await models.Customer.get(pk=pk)).version
    data = await gql.data(UPDATE, {"input": {"id": customer_id, "version": version, "name": name}})
    assert data["customerUpdate"]["errors"] == [], data


async def test_mutations_reach_subscribers_as_the_current_row(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    key = await make_key(Role.ADMIN)
    async with connected(ws_url, bearer(key)) as socket:
        every = await socket.subscribe(CHANGED)
        await subscribed(app)
        anna = await create(gql, "Anna Weber")
        assert (await socket.next(every))["customerChanged"] == {
            "id": anna,
            "name": "Anna Weber",
            "version": 1,
            "owner": None,
        }
        one = await socket.subscribe(CHANGED, {"id": anna})
        await subscribed(app, 2)
        ben = await create(gql, "Ben Otto")
        assert (await socket.next(every))["customerChanged"]["id"] == ben
        await rename(gql, anna, "Anna Schmidt")
        # Both operations see the update; the one for Anna alone never saw Ben.
        received = {(await socket.receive())["id"] for _ in range(2)}
        assert received == {every, one}
        await socket.send("complete", id=every)
        await rename(gql, anna, "Anna Weber-Schmidt")
        assert (await socket.next(one))["customerChanged"]["name"] == "Anna Weber-Schmidt"
        await socket.send("complete", id=one)
        await subscribed(app, 0)


async def test_sales_rep_receives_only_events_of_own_customers(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    rep_key = await make_key(Role.SALES_REP)
    other = await models.User.create(name="Other Rep", email="other@example.com", role=Role.SALES_REP)
    theirs = await create(gql, "Not Yours", owner=str(GlobalID("User", str(other.pk))))
    async with client_for(app, rep_key) as http:
        mine = await create(GraphQLClient(http), "Yours")
    async with connected(ws_url, {"authorization": f"Bearer {rep_key}"}) as socket:  # any case of the key
        operation = await socket.subscribe(CHANGED)
        await subscribed(app)
        await rename(gql, theirs, "Still Not Yours")
        await rename(gql, mine, "Still Yours")
        # One change after the other: had the other customer's event come through, it would be first.
        assert (await socket.next(operation))["customerChanged"]["name"] == "Still Yours"


async def test_personal_data_stays_hidden_without_pii_scope(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    key = await make_key(Role.PARTNER, ["customers:read"])
    async with connected(ws_url, bearer(key)) as socket:
        operation = await socket.subscribe("subscription { customerChanged { name email } }")
        await subscribed(app)
        await create(gql, "Anna Weber", email="anna@example.com")
        message = await socket.receive()
    assert message["payload"]["data"]["customerChanged"] == {"name": "Anna Weber", "email": None}
    assert [(e["path"], e["extensions"]["code"]) for e in message["payload"]["errors"]] == [
        (["customerChanged", "email"], "FORBIDDEN")
    ]
    assert message["id"] == operation


async def test_tickets_and_orders_reach_the_rep_of_their_customer(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    rep_key = await make_key(Role.SALES_REP)
    rep = await models.ApiKey.get(prefix=rep_key.split("_")[1])
    mine = await create(gql, "Yours", owner=str(GlobalID("User", str(rep.user_id))))
    theirs = await create(gql, "Not Yours")
    product = await models.Product.create(sku="SKU-1", name="Drill", category="Tools", unit_price=Decimal("9.50"))
    tickets = {}
    for customer in (theirs, mine):
        data = await gql.data(
            "mutation ($input: TicketCreateInput!) { ticketCreate(input: $input) { ticket { id version } } }",
            {"input": {"customer": customer, "kind": "COMPLAINT", "subject": "Broken"}},
        )
        tickets[customer] = data["ticketCreate"]["ticket"]
    async with connected(ws_url, bearer(rep_key)) as socket:
        updated = await socket.subscribe("subscription { ticketUpdated { id subject customer { name } } }")
        created = await socket.subscribe("subscription { orderCreated { customer { name } lines { totalCount } } }")
        await subscribed(app, 2)
        for customer in (theirs, mine):
            ticket = tickets[customer]
            changes = {"id": ticket["id"], "version": ticket["version"], "subject": "Still broken"}
            data = await gql.data(UPDATE_TICKET, {"input": changes})
            assert data["ticketUpdate"]["errors"] == [], data
        assert (await socket.next(updated))["ticketUpdated"] == {
            "id": tickets[mine]["id"],
            "subject": "Still broken",
            "customer": {"name": "Yours"},
        }
        for customer in (theirs, mine):
            line = {"product": str(GlobalID("Product", str(product.pk))), "quantity": 2}
            data = await gql.data(CREATE_ORDER, {"input": {"customer": customer, "lines": [line]}})
            assert data["orderCreate"]["errors"] == [], data
        order = (await socket.next(created))["orderCreated"]
        assert order == {"customer": {"name": "Yours"}, "lines": {"totalCount": 1}}


async def failure(socket: Socket, operation: str) -> str:
    """The error code with which the server ends `operation` (a `next` with errors, then `complete`)."""
    message = await socket.receive()
    assert (message["id"], message["type"], message["payload"]["data"]) == (operation, "next", None), message
    assert await socket.receive() == {"id": operation, "type": "complete"}
    code: str = message["payload"]["errors"][0]["extensions"]["code"]
    return code


async def test_subscribing_needs_read_access_and_a_visible_row(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    async with connected(ws_url, bearer(await make_key(Role.PARTNER, ["orders:read"]))) as socket:
        assert await failure(socket, await socket.subscribe(CHANGED)) == "FORBIDDEN"
    anna = await create(gql, "Anna Weber")
    async with connected(ws_url, bearer(await make_key(Role.SALES_REP))) as socket:
        assert await failure(socket, await socket.subscribe(CHANGED, {"id": anna})) == "NOT_FOUND"
        product = str(GlobalID("Product", "1"))
        assert await failure(socket, await socket.subscribe(CHANGED, {"id": product})) == "NOT_FOUND"
    assert app.state.events.subscribers == set()


async def rolled_back_rename(customer_id: str, name: str) -> None:
    admin = await models.User.create(name="Admin", email="root@example.com", role=Role.ADMIN)
    viewer = Viewer(user_id=admin.pk, role=Role.ADMIN)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            viewer, row = await writable(viewer, models.Customer, int(GlobalID.from_id(customer_id).node_id), conn)
            await update_row(viewer, row, {"name": name}, row.version, conn)
            raise RuntimeError("rolled back after the outbox event was written")


async def test_rolled_back_change_produces_no_event(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    anna = await create(gql, "Anna Weber")
    async with connected(ws_url, bearer(await make_key(Role.ADMIN))) as socket:
        operation = await socket.subscribe(CHANGED, {"id": anna})
        await subscribed(app)
        await rolled_back_rename(anna, "Never Committed")
        await rename(gql, anna, "Committed")
        assert (await socket.next(operation))["customerChanged"]["name"] == "Committed"
    assert await models.OutboxEvent.filter(entity_id=int(GlobalID.from_id(anna).node_id)).count() == 2


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_event_committed_after_a_later_one_is_still_delivered(app: Any, ws_url: str, gql: GraphQLClient) -> None:
    """PostgreSQL hands out ids at insert: a transaction with a lower one may commit last."""
    anna, ben = await create(gql, "Anna Weber"), await create(gql, "Ben Otto")
    admin = await models.User.create(name="Admin", email="root@example.com", role=Role.ADMIN)
    written, commit = asyncio.Event(), asyncio.Event()

    async def slow_rename() -> None:
        async with in_transaction() as conn:
            viewer, row = await writable(
                Viewer(admin.pk, Role.ADMIN), models.Customer, int(GlobalID.from_id(anna).node_id), conn
            )
            await update_row(viewer, row, {"name": "Anna Late"}, row.version, conn)
            written.set()
            await commit.wait()

    async with connected(ws_url, bearer(await make_key(Role.ADMIN))) as socket:
        operation = await socket.subscribe(CHANGED)
        await subscribed(app)
        slow = asyncio.create_task(slow_rename())
        await written.wait()
        await rename(gql, ben, "Ben Early")
        assert (await socket.next(operation))["customerChanged"]["name"] == "Ben Early"
        commit.set()
        await slow
        assert (await socket.next(operation))["customerChanged"]["name"] == "Anna Late"


async def test_a_subscriber_too_slow_is_ended_not_skipped() -> None:
    subscriber = Subscriber(lambda event: event.entity == "Customer")
    for pk in range(MAX_BACKLOG + 2):
        subscriber.offer(Event(pk, "customer.updated", "Customer", pk))
    received = []
    with pytest.raises(StreamBroken, match="subscribe again"):
        async for event in subscriber:
            received.append(event.id)
    assert received == list(range(MAX_BACKLOG))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_subscriptions_fail_clearly_while_the_shared_cache_is_unreachable(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, cache_url=f"redis://127.0.0.1:{free_port()}/0"))
    async with app.router.lifespan_context(app), served(app) as url:
        key = await make_key(Role.ADMIN)
        async with connected(url, bearer(key)) as socket:
            assert await failure(socket, await socket.subscribe(CHANGED)) == "UNAVAILABLE"
    assert app.state.events.subscribers == set()


@pytest.mark.parametrize(
    ("messages", "code", "reason"),
    [
        ([{"type": "connection_init"}], 4403, WS_NO_CREDENTIALS),
        ([{"type": "connection_init", "payload": {"Authorization": "Bearer crm_nope_x"}}], 4403, "Unknown API key."),
        (
            [{"type": "connection_init", "payload": {"Authorization": "Basic x"}}],
            4403,
            "Use 'Authorization: Bearer <API key or token>'.",
        ),
        ([{"type": "subscribe", "id": "1", "payload": {"query": CHANGED}}], 4401, "Unauthorized"),
    ],
)
async def test_unauthenticated_connections_are_refused(
    app: Any, ws_url: str, messages: list[dict[str, Any]], code: int, reason: str
) -> None:
    assert await refusal(ws_url, *messages) == (code, reason)
    assert app.state.events.subscribers == set()


async def test_only_graphql_transport_ws_is_spoken(ws_url: str) -> None:
    assert await refusal(ws_url, protocol="graphql-ws") == (4406, "Subprotocol not acceptable")


async def test_events_reach_every_server_through_redis(
    app: Any, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Two server processes share Redis: a change through one reaches a subscriber of the other."""
    key = await make_key(Role.ADMIN)
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": redis_url}
    lease_key = RedisBus(redis_url, Settings(database_url=database_url).deployment).lease_key  # this database's
    with redis.Redis.from_url(redis_url) as shared, ExitStack() as servers:
        shared.delete(lease_key)  # left by servers of an earlier test on the same database
        first = servers.enter_context(ExitStack())
        a = first.enter_context(serving(env=env, log=tmp_path / "a.log"))  # started first: it relays
        b = servers.enter_context(serving(env=env, log=tmp_path / "b.log"))
        headers = {"authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(base_url=a.base, headers=headers, timeout=10) as http_a,
            httpx.AsyncClient(base_url=b.base, headers=headers, timeout=10) as http_b,
        ):
            via_a, via_b = GraphQLClient(http_a), GraphQLClient(http_b)
            anna = await create(via_a, "Anna Weber")
            async with (
                connected(b.base.replace("http", "ws") + "/graphql", bearer(key)) as on_b,
                connected(a.base.replace("http", "ws") + "/graphql", bearer(key)) as on_a,
            ):
                seen_b = await on_b.subscribe(CHANGED, {"id": anna})
                seen_a = await on_a.subscribe(CHANGED, {"id": anna})
                await until_live([(on_b, seen_b), (on_a, seen_a)], lambda name: rename(via_a, anna, name))
                await rename(via_a, anna, "Through A")
                await arrives(on_b, seen_b, "Through A")
                await arrives(on_a, seen_a, "Through A")
                relay = shared.get(lease_key)
                first.close()  # A shuts down cleanly and gives up the relay lease: B takes over
                await rename(via_b, anna, "Through B")
                await arrives(on_b, seen_b, "Through B")
                assert shared.get(lease_key) not in (None, relay)
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()


async def until_live(subscriptions: list[tuple[Socket, str]], change: Callable[[str], Awaitable[None]]) -> None:
    """Change until each subscription got an event (across processes nothing tells when one is live)."""
    deadline, live = time.monotonic() + 30, set[tuple[Socket, str]]()
    for attempt in count(1):
        await change(f"Ping {attempt}")
        for subscription in set(subscriptions) - live:
            with suppress(TimeoutError):
                await subscription[0].next(subscription[1], timeout=1)
                live.add(subscription)
        if live == set(subscriptions):
            return
        assert time.monotonic() < deadline, "no event arrived"


async def arrives(socket: Socket, operation: str, name: str) -> None:
    """Read the customer's updates until it has `name`: earlier ones are pings or earlier checks."""
    while (current := (await socket.next(operation))["customerChanged"]["name"]) != name:
        assert current.startswith("Ping") or current.startswith("Through"), current
