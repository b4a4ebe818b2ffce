"""Read routing: a read-only operation reads from the read replica when one is configured.

Everything else reads from the primary: mutations (their payloads are read-your-writes), subscriptions
(an event's subscriber reads what the event announced), background work and the command line.
Writes always go to the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

PRIMARY = "default"
REPLICA = "replica"

_reads: ContextVar[str] = ContextVar("reads", default=PRIMARY)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Route the reads made inside this block (and the tasks it starts) to the replica."""
    token = _reads.set(REPLICA)
    try:
        yield
    finally:
        _reads.reset(token)


def read_connection() -> BaseDBAsyncClient:
    """The connection for a hand-written read-only statement in the current context."""
    return Tortoise.get_connection(_reads.get())


class ReadRouter:
    """Tortoise's router, installed only when a replica is configured."""

    def db_for_read(self, model: Any) -> str:
        return _reads.get()

    def db_for_write(self, model: Any) -> str:
        return PRIMARY
