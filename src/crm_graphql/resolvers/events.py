"""Live events for subscriptions: the transactional outbox, read after commit, fanned out to every replica.

Outbox rows become visible only when their transaction commits, so a rolled-back change never reaches
a subscriber, and every write path publishes without knowing it. Without Redis each replica tails the
outbox while it has subscribers. With Redis one replica at a time (holding a lease) tails it into a
pub/sub channel every replica listens to; its cursor is kept in Redis for the next one to take over.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis

from crm_graphql.models import OutboxEvent
from crm_graphql.resolvers.errors import DomainError
from crm_graphql.settings import Settings

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.2
BATCH = 500
GAP_TIMEOUT = 30.0  # how long a skipped id is waited for: its transaction may still commit
START_WINDOW = 100  # recent ids checked for not-yet-committed transactions when a tail starts
MAX_BACKLOG = 1_000  # events queued for one subscriber before it is cut off as too slow
RECENT = 10_000  # delivered event ids remembered to drop duplicates
LEASE_MS = 2_000
CURSOR_MS = 10_000  # a cursor older than this belongs to a relay long gone: start afresh
READY_TIMEOUT = 5.0
RETRY_SECONDS = 1.0
# Renew our lease, or take it when it is free: 1 when we hold it afterwards.
LEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0"""
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class StreamBroken(DomainError):
    """A subscription can no longer be served without losing events: the client subscribes again."""

    code = "UNAVAILABLE"


@dataclass(frozen=True)
class Event:
    """A committed change, e.g. `ticket.updated` of Ticket 7 (subscribers re-read the row itself)."""

    id: int
    name: str
    entity: str
    entity_id: int


class OutboxTail:
    """Reads the outbox in id order, each committed event once.

    Ids are taken at insert but become visible at commit, so on PostgreSQL a later id can show up
    first: an id skipped over is looked for again until GAP_TIMEOUT (a rolled-back one never shows).
    """

    def __init__(self, after: int, gaps: Iterable[int] = ()) -> None:
        self.high = after
        self.gaps = dict.fromkeys(gaps, time.monotonic() + GAP_TIMEOUT)

    @classmethod
    async def start(cls, cursor: int | None = None) -> OutboxTail:
        """Resume after `cursor`; without one (or one past the newest event) start after the newest event."""
        recent = [row["id"] for row in await OutboxEvent.all().order_by("-id").limit(START_WINDOW).values("id")]
        newest = recent[0] if recent else 0
        if cursor is not None and cursor <= newest:
            return cls(cursor)
        # Transactions still open may hold ids just below the newest: wait for them like for any gap.
        return cls(newest, set(range(max(newest - START_WINDOW, 0) + 1, newest)) - set(recent))

    @property
    def cursor(self) -> int:
        """Every event up to this id has been read (or given up on)."""
        return min(self.gaps) - 1 if self.gaps else self.high

    async def poll(self) -> list[Event]:
        """The events committed since the last poll, in id order."""
        now = time.monotonic()
        self.gaps = {i: deadline for i, deadline in self.gaps.items() if deadline > now}
        columns = ("id", "name", "entity", "entity_id")
        rows = await OutboxEvent.filter(id__gt=self.high).order_by("id").limit(BATCH).values(*columns)
        if self.gaps:
            rows += await OutboxEvent.filter(id__in=list(self.gaps)).values(*columns)
        events = sorted((Event(**row) for row in rows), key=lambda event: event.id)
        for event in events:
            if event.id > self.high:
                skipped = range(max(self.high + 1, event.id - START_WINDOW), event.id)
                self.gaps.update(dict.fromkeys(skipped, now + GAP_TIMEOUT))
                self.high = event.id
            self.gaps.pop(event.id, None)
        return events


class Subscriber:
    """One subscription's queue of the events it wants."""

    def __init__(self, wants: Callable[[Event], bool]) -> None:
        self.wants = wants
        self.ended = False
        self._queue: asyncio.Queue[Event | StreamBroken] = asyncio.Queue()

    def offer(self, event: Event) -> None:
        if self.ended or not self.wants(event):
            return
        if self._queue.qsize() >= MAX_BACKLOG:
            self.end("Too many events waiting for this subscription: subscribe again.")
        else:
            self._queue.put_nowait(event)

    def end(self, reason: str) -> None:
        """Stop the subscription with `reason` once the events already queued are read."""
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(StreamBroken(reason))

    async def __aiter__(self) -> AsyncIterator[Event]:
        while not isinstance(item := await self._queue.get(), StreamBroken):
            yield item
        raise item


class EventBus(ABC):
    """Fans events out to this replica's subscribers; subclasses feed it."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self._recent: dict[int, None] = {}  # ids in delivery order
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:  # noqa: B027  (an optional hook)
        """Begin the background work that needs no subscriber."""

    @asynccontextmanager
    async def subscribe(self, wants: Callable[[Event], bool]) -> AsyncIterator[Subscriber]:
        """A subscriber receiving every wanted event committed from now on, until the block exits."""
        subscriber = Subscriber(wants)
        await self._register(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)
            self._unregistered()

    @abstractmethod
    async def _register(self, subscriber: Subscriber) -> None:
        """Add `subscriber` once this bus can no longer miss an event meant for it."""

    def _unregistered(self) -> None:  # noqa: B027  (an optional hook)
        """Called after a subscriber left."""

    def deliver(self, events: Iterable[Event]) -> None:
        for event in events:
            if event.id in self._recent:
                continue
            self._recent[event.id] = None
            if len(self._recent) > RECENT:
                del self._recent[next(iter(self._recent))]
            for subscriber in self.subscribers:
                subscriber.offer(event)

    def end_all(self, reason: str) -> None:
        for subscriber in self.subscribers:
            subscriber.end(reason)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self.end_all("The server is shutting down: subscribe again.")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class LocalBus(EventBus):
    """One replica on its own: it tails the outbox while it has subscribers."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = asyncio.Lock()
        self._stop: asyncio.Event | None = None

    async def _register(self, subscriber: Subscriber) -> None:
        async with self._lock:
            if self._stop is None:
                # Start reading before registering, so nothing committed after it is missed.
                tail = await OutboxTail.start()
                self._stop = asyncio.Event()
                self._spawn(self._tail(tail, self._stop), "event-tail")
            self.subscribers.add(subscriber)

    def _unregistered(self) -> None:
        if not self.subscribers and self._stop is not None:
            self._stop.set()
            self._stop = None

    async def _tail(self, tail: OutboxTail, stop: asyncio.Event) -> None:
        while not stop.is_set():
            events: list[Event] = []
            try:
                events = await tail.poll()
                self.deliver(events)
            except Exception:
                logger.exception("reading the outbox failed; retrying")
            if len(events) < BATCH:
                await asyncio.sleep(POLL_INTERVAL)


class RedisBus(EventBus):
    """Replicas sharing Redis: one relays the outbox to a pub/sub channel, every one listens."""

    def __init__(self, url: str, deployment: str) -> None:
        super().__init__()
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=5)
        # Deployments on different databases may share one Redis: keep their events apart.
        prefix = f"crm:events:{deployment}"
        self.channel, self.lease_key, self.cursor_key = prefix, f"{prefix}:relay", f"{prefix}:cursor"
        self.token = uuid.uuid4().hex
        self._listening = asyncio.Event()

    async def start(self) -> None:
        self._spawn(self._listen(), "event-listener")
        self._spawn(self._relay(), "event-relay")

    async def _register(self, subscriber: Subscriber) -> None:
        try:
            await asyncio.wait_for(self._listening.wait(), READY_TIMEOUT)
        except TimeoutError:
            raise StreamBroken("Live updates are unavailable: the server cannot reach Redis.") from None
        self.subscribers.add(subscriber)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":
                            self._listening.set()
                        elif message["type"] == "message":
                            self.deliver([Event(**json.loads(message["data"]))])
            except Exception:
                logger.warning("event listener lost Redis; reconnecting", exc_info=True)
            # Events published meanwhile are gone: end the subscriptions rather than skip silently.
            self._listening.clear()
            self.end_all("Live updates were interrupted: subscribe again.")
            await asyncio.sleep(RETRY_SECONDS)

    async def _relay(self) -> None:
        tail: OutboxTail | None = None
        while True:
            events: list[Event] = []
            pause = POLL_INTERVAL
            try:
                if await self.redis.eval(LEASE, 1, self.lease_key, self.token, str(LEASE_MS)):  # type: ignore[misc]
                    if tail is None:
                        cursor = await self.redis.get(self.cursor_key)
                        tail = await OutboxTail.start(int(cursor) if cursor else None)
                    events = await tail.poll()
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for event in events:
                            pipe.publish(self.channel, json.dumps(asdict(event)))
                        pipe.set(self.cursor_key, tail.cursor, px=CURSOR_MS)
                        await pipe.execute()
                else:
                    tail = None  # another replica relays; take over from its cursor if it stops
            except Exception:
                logger.warning("relaying events failed; resuming from the stored cursor", exc_info=True)
                tail, events, pause = None, [], RETRY_SECONDS  # republishing is harmless: duplicates are dropped
            if len(events) < BATCH:
                await asyncio.sleep(pause)

    async def close(self) -> None:
        await super().close()
        with suppress(Exception):
            await self.redis.eval(RELEASE, 1, self.lease_key, self.token)  # type: ignore[misc]
        await self.redis.aclose()


def event_bus(settings: Settings) -> EventBus:
    """Through Redis when the cache is Redis (every replica sees every event), else in this process."""
    if urlsplit(settings.cache_url).scheme in ("redis", "rediss"):
        return RedisBus(settings.cache_url, settings.deployment)
    return LocalBus()
