"""The write path every mutation shares.

One transaction holds the change, its audit entry and its outbox event, so either all of them
happen or none. Updates carry the version the client read (optimistic locking): a stale one is a
CONFLICT and writes nothing. Create mutations may carry an idempotency key: the same key with
the same input returns the first result without writing again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql import models
from crm_graphql.models import AuditAction, AuditEntry, IdempotencyKey
from crm_graphql.resolvers.errors import Conflict, DomainError, Duplicate, NotFound
from crm_graphql.resolvers.policy import ENTITY_OF, Action, Viewer, require, row_scope
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.webhooks import record_event

M = TypeVar("M", bound=Model)

IDEMPOTENCY_TTL = timedelta(hours=24)
TYPE_NAMES: dict[type[Model], str] = {
    models.Customer: "Customer",
    models.Product: "Product",
    models.Order: "Order",
    models.OrderLine: "OrderLine",
    models.Visit: "Visit",
    models.Ticket: "Ticket",
    models.Campaign: "Campaign",
    models.CampaignMember: "CampaignMember",
    models.User: "User",
}
NOT_AUDITED = frozenset({"id", "version", "created_at", "updated_at"})


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__("This idempotency key was used with a different input.", "idempotencyKey")


def plain(value: Any) -> Any:
    """A JSON value for the audit trail and events."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _event_name(model: type[Model], suffix: str) -> str:
    return f"{TYPE_NAMES[model][0].lower()}{TYPE_NAMES[model][1:]}.{suffix}"


async def _record(
    viewer: Viewer, row: Model, action: AuditAction, changes: Mapping[str, tuple[Any, Any]], conn: BaseDBAsyncClient
) -> None:
    model = type(row)
    diff = {field: [plain(old), plain(new)] for field, (old, new) in changes.items() if field not in NOT_AUDITED}
    await AuditEntry.create(
        entity=TYPE_NAMES[model], entity_id=row.pk, action=action, actor=viewer.actor, changes=diff, using_db=conn
    )
    payload = {"id": row.pk, "changes": diff, "actor": viewer.actor}
    await record_event(_event_name(model, f"{action.value}d"), TYPE_NAMES[model], row.pk, payload, using_db=conn)


async def writable(
    viewer: Viewer | None, model: type[M], pk: int, conn: BaseDBAsyncClient, *, deleted: bool = False
) -> tuple[Viewer, M]:
    """The viewer and the row it may change, locked for the transaction; NotFound if it cannot see it."""
    viewer = require(viewer, ENTITY_OF[model], Action.WRITE)
    row = (
        await model.filter(pk=pk, deleted_at__isnull=not deleted)
        .filter(row_scope(viewer, model))
        .select_for_update()
        .using_db(conn)
        .first()
    )
    if row is None:
        raise NotFound(f"No {'deleted ' if deleted else ''}{TYPE_NAMES[model]} with this ID.", "id")
    return viewer, row


async def taken(
    model: type[Model], column: str, value: str, conn: BaseDBAsyncClient, *, other_than: int | None
) -> bool:
    """Whether a row other than `other_than` already holds `value` in `column` (ignoring case)."""
    rows = model.filter(**{f"{column}__iexact": value}).using_db(conn)
    return await (rows.exclude(pk=other_than) if other_than else rows).exists()


async def unique(write: Awaitable[M], message: str, field: str) -> M:
    """The result of `write`, or DUPLICATE if a concurrent writer took a unique value first.

    The callers check uniqueness beforehand; this covers the race between check and write.
    """
    try:
        return await write
    except IntegrityError as exc:
        raise Duplicate(message, field) from exc


async def create_row(viewer: Viewer, model: type[M], values: Mapping[str, Any], conn: BaseDBAsyncClient) -> M:
    row = await model.create(**values, using_db=conn)
    await _record(viewer, row, AuditAction.CREATE, {k: (None, v) for k, v in values.items()}, conn)
    return row


async def update_row(viewer: Viewer, row: M, changes: Mapping[str, Any], version: int, conn: BaseDBAsyncClient) -> M:
    """Apply `changes` if the row is still at `version`; CONFLICT (and no write) otherwise."""
    if row.version != version:  # type: ignore[attr-defined]
        raise _conflict(row, version)
    diff = {k: (getattr(row, k), v) for k, v in changes.items() if getattr(row, k) != v}
    if not diff:
        return row
    model = type(row)
    updated = await (
        model.filter(pk=row.pk, version=version)
        .using_db(conn)
        .update(**{k: new for k, (_, new) in diff.items()}, version=F("version") + 1, updated_at=datetime.now(UTC))
    )
    if not updated:
        raise _conflict(row, version)
    await _record(viewer, row, AuditAction.UPDATE, diff, conn)
    await row.refresh_from_db(using_db=conn)
    return row


def _conflict(row: Model, version: int) -> Conflict:
    return Conflict(
        f"{TYPE_NAMES[type(row)]} changed since version {version} (now {row.version}): "  # type: ignore[attr-defined]
        "read it again and retry.",
        "version",
    )


async def delete_row(viewer: Viewer, row: M, version: int, conn: BaseDBAsyncClient) -> M:
    row = await update_row(viewer, row, {"deleted_at": datetime.now(UTC)}, version, conn)
    return row


async def restore_row(viewer: Viewer, row: M, conn: BaseDBAsyncClient) -> M:
    return await update_row(viewer, row, {"deleted_at": None}, row.version, conn)  # type: ignore[attr-defined]


def fingerprint(operation: str, data: Any) -> str:
    """A hash of a mutation's input, to tell a replay from a different request under the same key."""
    text = json.dumps([operation, data], sort_keys=True, default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


async def once(
    viewer: Viewer,
    key: str | None,
    operation: str,
    data: Any,
    create: Callable[[BaseDBAsyncClient], Awaitable[M]],
    model: type[M],
) -> tuple[M, bool]:
    """Run `create` in a transaction, or replay the result stored under the idempotency `key`.

    Returns the row and whether it was replayed.
    """
    if key is None:
        async with in_transaction(PRIMARY) as conn:
            return await create(conn), False
    request_hash = fingerprint(operation, data)
    for _ in range(2):
        try:
            async with in_transaction(PRIMARY) as conn:
                stored = await IdempotencyKey.filter(actor=viewer.actor, key=key).using_db(conn).first()
                if stored is not None and stored.expires_at > datetime.now(UTC):
                    if stored.request_hash != request_hash or stored.operation != operation:
                        raise IdempotencyKeyReused()
                    return await model.filter(pk=stored.entity_id).using_db(conn).get(), True
                if stored is not None:
                    await stored.delete(using_db=conn)
                row = await create(conn)
                await _claim(viewer, key, operation, request_hash, row.pk, conn)
                return row, False
        except _KeyTaken:
            continue  # a concurrent request stored the key first: replay its result
    raise Conflict("The idempotency key is being used by a concurrent request; retry.", "idempotencyKey")


class _KeyTaken(Exception):
    pass


async def _claim(
    viewer: Viewer, key: str, operation: str, request_hash: str, entity_id: int, conn: BaseDBAsyncClient
) -> None:
    try:
        await IdempotencyKey.create(
            actor=viewer.actor,
            key=key,
            operation=operation,
            request_hash=request_hash,
            entity_id=entity_id,
            expires_at=datetime.now(UTC) + IDEMPOTENCY_TTL,
            using_db=conn,
        )
    except IntegrityError as exc:
        raise _KeyTaken from exc
