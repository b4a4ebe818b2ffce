"""Partner webhooks: the transactional outbox and the dispatcher that delivers it.

A mutation records its event with `record_event` inside its own transaction, so an event exists
exactly when the change committed. `WebhookDispatcher.plan` turns each new event into one delivery
per interested subscription; `deliver_due` POSTs the due ones, signed, and retries failures with
exponential backoff. Delivery is at least once: receivers deduplicate on the X-CRM-Delivery header.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from crm_graphql import __version__
from crm_graphql.models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookSubscription
from crm_graphql.resolvers.routing import PRIMARY

logger = logging.getLogger(__name__)

ALL_EVENTS = "*"
MAX_ERROR_LENGTH = 500
DISABLED = "subscription inactive or its API key revoked, expired or deleted"


def utcnow() -> datetime:
    return datetime.now(UTC)


async def record_event(
    name: str, entity: str, entity_id: int, payload: dict[str, Any], *, using_db: BaseDBAsyncClient | None = None
) -> OutboxEvent:
    """Write an event to the outbox; pass the mutation's transaction so the event commits with the change."""
    return await OutboxEvent.create(name=name, entity=entity, entity_id=entity_id, payload=payload, using_db=using_db)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-CRM-Signature value: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes | str, *, tolerance: int = 300, now: datetime | None = None
) -> bool:
    """Whether `header` signs `body` with `secret` at most `tolerance` seconds away from `now`."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs((now or utcnow()).timestamp() - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body.encode() if isinstance(body, str) else body)
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


def _usable(now: datetime) -> Q:
    """Subscriptions that may receive events: active, with a key neither revoked, expired nor deleted,
    owned by an active user."""
    key_alive = Q(
        api_key__revoked_at__isnull=True,
        api_key__deleted_at__isnull=True,
        api_key__user__active=True,
        api_key__user__deleted_at__isnull=True,
    )
    unexpired = Q(api_key__expires_at__isnull=True) | Q(api_key__expires_at__gt=now)
    return Q(active=True) & key_alive & unexpired


def _wants(subscription: WebhookSubscription, name: str) -> bool:
    return ALL_EVENTS in subscription.events or name in subscription.events


def _body(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    document = {
        "id": delivery.id,
        "event": event.name,
        "entity": event.entity,
        "entityId": event.entity_id,
        "occurredAt": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":")).encode()


class WebhookDispatcher:
    """Plans and sends webhook deliveries; several replicas may run one each against the same database."""

    def __init__(
        self,
        *,
        batch_size: int = 100,
        max_attempts: int = 8,
        backoff_base: float = 2.0,
        backoff_cap: float = 3600.0,
        timeout: float = 5.0,
        concurrency: int = 10,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self.concurrency = concurrency
        self.now = now
        # A claimed delivery becomes due again after this, should its dispatcher die mid-request.
        self.lease = timedelta(seconds=timeout + 60)
        self.client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": f"crm-graphql-webhooks/{__version__}"}
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: base * 2 ** (attempts - 1), capped."""
        return timedelta(seconds=min(self.backoff_base * 2 ** (attempts - 1), self.backoff_cap))

    async def plan(self) -> int:
        """Create the deliveries of every event not yet dispatched, oldest first; returns the number of events."""
        total = 0
        while True:
            count = await self._plan_batch()
            total += count
            if count < self.batch_size:
                return total

    async def _plan_batch(self) -> int:
        now = self.now()
        async with in_transaction(PRIMARY) as connection:
            # SKIP LOCKED hands a batch another replica is planning to nobody else (SQLite ignores it,
            # its writers are serialised); the unique (subscription, event) is the backstop.
            events = (
                await OutboxEvent.filter(dispatched_at__isnull=True)
                .order_by("id")
                .limit(self.batch_size)
                .select_for_update(skip_locked=True)
                .only("id", "name")
                .using_db(connection)
            )
            if not events:
                return 0
            subscriptions = await WebhookSubscription.filter(_usable(now)).using_db(connection)
            deliveries = [
                WebhookDelivery(subscription_id=subscription.id, event_id=event.id, next_attempt_at=now)
                for event in events
                for subscription in subscriptions
                if _wants(subscription, event.name)
            ]
            if deliveries:
                await WebhookDelivery.bulk_create(deliveries, ignore_conflicts=True, using_db=connection)
            await OutboxEvent.filter(id__in=[e.id for e in events]).using_db(connection).update(dispatched_at=now)
        return len(events)

    async def deliver_due(self) -> int:
        """POST the due deliveries, each subscription's in event order; returns the number of attempts."""
        due = WebhookDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=self.now())
        subscription_ids = [row["subscription_id"] for row in await due.distinct().values("subscription_id")]
        slots = asyncio.Semaphore(self.concurrency)

        async def drain(subscription_id: int) -> int:
            async with slots:
                return await self._drain(subscription_id)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(drain(subscription_id)) for subscription_id in subscription_ids]
        return sum(task.result() for task in tasks)

    async def _drain(self, subscription_id: int) -> int:
        # One delivery at a time, oldest event first: a later event waits while an earlier one is
        # retried, so a receiver sees a subscription's events in the order they happened.
        pending = WebhookDelivery.filter(subscription_id=subscription_id, status=DeliveryStatus.PENDING)
        if not await WebhookSubscription.filter(_usable(self.now()), id=subscription_id).exists():
            await pending.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=DISABLED)
            return 0
        attempts = 0
        while attempts < self.batch_size:
            delivery = await pending.order_by("event_id").select_related("event", "subscription").first()
            now = self.now()
            if delivery is None or delivery.next_attempt_at is None or delivery.next_attempt_at > now:
                break
            if not await self._claim(delivery, now):
                break
            attempts += 1
            if not await self._attempt(delivery):
                break
        return attempts

    async def _claim(self, delivery: WebhookDelivery, now: datetime) -> bool:
        """Lease the delivery for one attempt; False when another replica leased it first."""
        claimed = await WebhookDelivery.filter(
            id=delivery.id, status=DeliveryStatus.PENDING, attempts=delivery.attempts, next_attempt_at__lte=now
        ).update(next_attempt_at=now + self.lease)
        return claimed == 1

    async def _attempt(self, delivery: WebhookDelivery) -> bool:
        """POST the delivery once and record the outcome; True when the receiver accepted it."""
        body = _body(delivery)
        headers = {
            "Content-Type": "application/json",
            "X-CRM-Event": delivery.event.name,
            "X-CRM-Delivery": str(delivery.id),
            "X-CRM-Signature": sign(delivery.subscription.secret, body, int(self.now().timestamp())),
        }
        try:
            # httpx's timeout bounds each network operation; this bounds the whole request.
            async with asyncio.timeout(self.timeout):
                response = await self.client.post(delivery.subscription.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            await self._failed(delivery, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return False
        if not response.is_success:
            await self._failed(delivery, response.status_code, f"HTTP {response.status_code}: {response.text}")
            return False
        await WebhookDelivery.filter(id=delivery.id).update(
            status=DeliveryStatus.DELIVERED,
            attempts=delivery.attempts + 1,
            last_status_code=response.status_code,
            last_error=None,
            next_attempt_at=None,
            delivered_at=self.now(),
        )
        return True

    async def _failed(self, delivery: WebhookDelivery, status_code: int | None, error: str) -> None:
        attempts = delivery.attempts + 1
        gave_up = attempts >= self.max_attempts
        await WebhookDelivery.filter(id=delivery.id).update(
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
            attempts=attempts,
            last_status_code=status_code,
            last_error=error[:MAX_ERROR_LENGTH],
            next_attempt_at=None if gave_up else self.now() + self.backoff(attempts),
        )
        if gave_up:
            logger.warning("webhook delivery %s failed for good after %s attempts: %s", delivery.id, attempts, error)
        else:
            logger.info("webhook delivery %s attempt %s failed: %s", delivery.id, attempts, error)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Plan and deliver every `interval` seconds until `stop` is set; errors are logged, not raised."""
        while not stop.is_set():
            try:
                await self.plan()
                await self.deliver_due()
            except Exception:
                logger.exception("webhook dispatch round failed; retrying in %s s", interval)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def aclose(self) -> None:
        await self.client.aclose()
