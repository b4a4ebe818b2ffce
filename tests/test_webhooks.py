"""Webhook delivery against both databases and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from crm_graphql import models
from crm_graphql.db import connected
from crm_graphql.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription
from crm_graphql.resolvers.webhooks import WebhookDispatcher, record_event, sign, verify_signature
from crm_graphql.settings import Settings
from tests.receiver import Receiver


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.current = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
async def orm(database_url: str) -> AsyncIterator[None]:
    async with connected(Settings(database_url=database_url)):
        yield


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dispatcher(orm: None, clock: Clock) -> AsyncIterator[WebhookDispatcher]:
    engine = WebhookDispatcher(now=clock, timeout=2)
    yield engine
    await engine.aclose()


async def subscribe(
    url: str, events: list[str], *, secret: str = "s3cret", active: bool = True, **key: Any
) -> WebhookSubscription:
    """A subscription of a new partner key; `key` sets revoked_at, expires_at or deleted_at."""
    number = await models.ApiKey.all().count()
    user = await models.User.create(name=f"Partner {number}", email=f"p{number}@example.com", role=models.Role.PARTNER)
    api_key = await models.ApiKey.create(name="partner", prefix=f"pk{number}", secret_hash="0" * 64, user=user, **key)
    return await WebhookSubscription.create(api_key=api_key, url=url, events=events, secret=secret, active=active)


async def event(name: str = "customer.created", entity_id: int = 1) -> OutboxEvent:
    async with in_transaction() as connection:
        return await record_event(name, name.split(".")[0], entity_id, {"n": entity_id}, using_db=connection)


async def delivery_of(subscription: WebhookSubscription) -> WebhookDelivery:
    return await WebhookDelivery.get(subscription_id=subscription.id)


def test_signature_is_checked_for_secret_body_and_age() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    header = sign("key", b'{"a":1}', int(now.timestamp()))
    assert verify_signature("key", header, b'{"a":1}', now=now)
    assert verify_signature("key", header, '{"a":1}', now=now + timedelta(seconds=300))
    assert not verify_signature("key", header, b'{"a":1}', now=now + timedelta(seconds=301))
    assert not verify_signature("other", header, b'{"a":1}', now=now)
    assert not verify_signature("key", header, b'{"a":2}', now=now)
    assert not verify_signature("key", "v1=" + header.split("v1=")[1], b'{"a":1}', now=now)
    assert not verify_signature("key", "garbage", b'{"a":1}', now=now)


async def test_delivers_signed_events_to_the_subscriptions_that_asked(
    dispatcher: WebhookDispatcher, receiver: Receiver, clock: Clock
) -> None:
    url = receiver.url
    customers = await subscribe(f"{url}/customers", ["customer.created"], secret="c-secret")
    everything = await subscribe(f"{url}/all", ["*"], secret="a-secret")
    await subscribe(f"{url}/revoked", ["*"], revoked_at=clock() - timedelta(days=1))
    await subscribe(f"{url}/expired", ["*"], expires_at=clock() - timedelta(seconds=1))
    await subscribe(f"{url}/deleted", ["*"], deleted_at=clock() - timedelta(days=1))
    await subscribe(f"{url}/inactive", ["*"], active=False)
    created, confirmed = await event("customer.created", 7), await event("order.confirmed", 8)

    assert await dispatcher.plan() == 2
    assert await dispatcher.deliver_due() == 3

    secrets = {"/customers": "c-secret", "/all": "a-secret"}
    assert [(r.path, r.json["event"]) for r in sorted(receiver.requests, key=lambda r: r.path)] == [
        ("/all", "customer.created"),
        ("/all", "order.confirmed"),
        ("/customers", "customer.created"),
    ]
    for request in receiver.requests:
        assert verify_signature(secrets[request.path], request.headers["x-crm-signature"], request.body, now=clock())
        assert not verify_signature("wrong", request.headers["x-crm-signature"], request.body, now=clock())
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-crm-event"] == request.json["event"]
        assert request.headers["x-crm-delivery"] == str(request.json["id"])
    first = next(r.json for r in receiver.requests if r.path == "/customers")
    assert first == {
        "id": (await delivery_of(customers)).id,
        "event": "customer.created",
        "entity": "customer",
        "entityId": 7,
        "occurredAt": created.created_at.isoformat(),
        "data": {"n": 7},
    }
    deliveries = await WebhookDelivery.all()
    assert {(d.subscription_id, d.event_id) for d in deliveries} == {
        (customers.id, created.id),
        (everything.id, created.id),
        (everything.id, confirmed.id),
    }
    assert all(
        (d.status, d.attempts, d.last_status_code, d.delivered_at) == ("delivered", 1, 200, clock()) for d in deliveries
    )


async def test_planning_is_idempotent(dispatcher: WebhookDispatcher, receiver: Receiver, clock: Clock) -> None:
    await subscribe(receiver.url, ["*"])
    for n in range(5):
        await event(entity_id=n)
    other = WebhookDispatcher(now=clock)
    try:
        planned = await asyncio.gather(dispatcher.plan(), other.plan())
        # Usually one dispatcher claims the batch and the other skips it ([0, 5]); the unique
        # (subscription, event) keeps the outcome right should both read it before either locks.
        assert max(planned) == 5
        assert await WebhookDelivery.all().count() == 5
        await OutboxEvent.all().update(dispatched_at=None)  # as if a dispatcher died before committing
        assert await dispatcher.plan() == 5
        assert await WebhookDelivery.all().count() == 5
        await asyncio.gather(dispatcher.deliver_due(), other.deliver_due())
    finally:
        await other.aclose()
    assert [r.json["entityId"] for r in receiver.requests] == [0, 1, 2, 3, 4]


async def test_retries_with_exponential_backoff(
    dispatcher: WebhookDispatcher, receiver: Receiver, clock: Clock
) -> None:
    subscription = await subscribe(receiver.url, ["customer.created"])
    await event()
    await dispatcher.plan()
    receiver.fail_next(2)
    start = clock()

    assert await dispatcher.deliver_due() == 1
    delivery = await delivery_of(subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == start + timedelta(seconds=2)
    clock.advance(1.9)
    assert await dispatcher.deliver_due() == 0

    clock.advance(0.1)
    assert await dispatcher.deliver_due() == 1
    delivery = await delivery_of(subscription)
    assert (delivery.attempts, delivery.next_attempt_at) == (2, start + timedelta(seconds=2 + 4))

    clock.advance(4)
    assert await dispatcher.deliver_due() == 1
    delivery = await delivery_of(subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert (delivery.delivered_at, delivery.next_attempt_at, delivery.last_error) == (clock(), None, None)
    assert {r.headers["x-crm-delivery"] for r in receiver.requests} == {str(delivery.id)}
    assert [dispatcher.backoff(n).total_seconds() for n in (1, 2, 3, 12, 13)] == [2, 4, 8, 3600, 3600]


async def test_none_lost_while_the_receiver_is_down(
    dispatcher: WebhookDispatcher, receiver: Receiver, clock: Clock
) -> None:
    subscription = await subscribe(receiver.url, ["*"])
    receiver.stop()
    for n in range(3):
        await event(entity_id=n)
    await dispatcher.plan()
    for n in range(3, 6):
        assert await dispatcher.deliver_due() == 1  # only the oldest is tried; the others wait behind it
        await event(entity_id=n)
        await dispatcher.plan()
        clock.advance(600)
    head = await WebhookDelivery.filter(subscription_id=subscription.id).order_by("event_id").first()
    assert head is not None and head.attempts == 3 and (head.last_error or "").startswith("ConnectError")
    assert await WebhookDelivery.filter(attempts=0).count() == 5

    receiver.start()
    assert await dispatcher.deliver_due() == 6
    assert [r.json["entityId"] for r in receiver.requests] == [0, 1, 2, 3, 4, 5]
    assert await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED).count() == 6


async def test_nothing_sent_for_a_rolled_back_transaction(dispatcher: WebhookDispatcher, receiver: Receiver) -> None:
    await subscribe(receiver.url, ["*"])
    with pytest.raises(RuntimeError):
        async with in_transaction() as connection:
            await record_event("customer.created", "customer", 1, {}, using_db=connection)
            raise RuntimeError("the mutation failed")

    assert await dispatcher.plan() == 0
    assert await dispatcher.deliver_due() == 0
    assert not await OutboxEvent.exists()
    assert not await WebhookDelivery.exists()
    assert receiver.requests == []


async def test_gives_up_after_max_attempts(orm: None, receiver: Receiver, clock: Clock) -> None:
    dispatcher = WebhookDispatcher(now=clock, max_attempts=3)
    subscription = await subscribe(receiver.url, ["*"])
    failing, following = await event(entity_id=1), await event(entity_id=2)
    receiver.fail_next(3, status=503, text="down for maintenance")
    try:
        await dispatcher.plan()
        for _ in range(4):
            await dispatcher.deliver_due()
            clock.advance(3600)
    finally:
        await dispatcher.aclose()

    given_up = await WebhookDelivery.get(subscription_id=subscription.id, event_id=failing.id)
    assert (given_up.status, given_up.attempts, given_up.last_status_code) == ("failed", 3, 503)
    assert (given_up.last_error, given_up.next_attempt_at) == ("HTTP 503: down for maintenance", None)
    delivered = await WebhookDelivery.get(subscription_id=subscription.id, event_id=following.id)
    assert (delivered.status, delivered.attempts) == ("delivered", 1)
    assert [r.json["entityId"] for r in receiver.requests] == [1, 1, 1, 2]


async def test_a_slow_receiver_times_out(orm: None, receiver: Receiver, clock: Clock) -> None:
    dispatcher = WebhookDispatcher(now=clock, timeout=0.2)
    subscription = await subscribe(receiver.url, ["*"])
    await event()
    receiver.delay = 1
    try:
        await dispatcher.plan()
        assert await dispatcher.deliver_due() == 1
    finally:
        await dispatcher.aclose()
    delivery = await delivery_of(subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "Timeout" in (delivery.last_error or "")


async def test_nothing_sent_once_the_key_is_revoked(
    dispatcher: WebhookDispatcher, receiver: Receiver, clock: Clock
) -> None:
    subscription = await subscribe(receiver.url, ["*"])
    await event()
    await dispatcher.plan()
    await models.ApiKey.all().update(revoked_at=clock())

    assert await dispatcher.deliver_due() == 0
    delivery = await delivery_of(subscription)
    assert (delivery.status, delivery.attempts) == ("failed", 0)
    assert receiver.requests == []


async def test_run_delivers_on_its_own_survives_errors_and_stops(
    orm: None, receiver: Receiver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = WebhookDispatcher()
    plan = dispatcher.plan
    calls = 0

    async def flaky_plan() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database blip")
        return await plan()

    monkeypatch.setattr(dispatcher, "plan", flaky_plan)
    await subscribe(receiver.url, ["*"])
    await event()
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="crm_graphql.resolvers.webhooks"):
        task = asyncio.create_task(dispatcher.run(stop, interval=0.02))
        async with asyncio.timeout(5):
            while not receiver.requests:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 1)
    await dispatcher.aclose()

    assert calls >= 2
    assert "database blip" in caplog.text
    assert (await WebhookDelivery.get()).status == "delivered"


async def test_the_app_runs_the_dispatcher_when_enabled(database_url: str, receiver: Receiver) -> None:
    from crm_graphql.app import create_app

    app = create_app(Settings(database_url=database_url, webhook_dispatcher=True, webhook_interval=0.05))
    async with app.router.lifespan_context(app):
        await subscribe(receiver.url, ["customer.created"])
        await event(entity_id=42)
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
    assert [r.json["entityId"] for r in receiver.requests] == [42]
