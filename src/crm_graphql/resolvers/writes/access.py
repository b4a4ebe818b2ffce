"""Access management (users and API keys; admins only) and partners' own webhook subscriptions.

Webhook URLs use https (plain http only to loopback hosts, for development); IP literals in private, link-local,
shared or reserved ranges (cloud metadata too) are refused, host names are not resolved: restrict egress as well.
Events carry the changed fields of every row, personal data included: a key subscribes to an entity's events with
its read scope (and `pii:read` for customers and users), and only if its owner sees all its rows (not a sales rep).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import httpx
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql.models import (
    ApiKey,
    AuditAction,
    AuditEntry,
    DeliveryStatus,
    Role,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from crm_graphql.resolvers.accounts import revoke_key
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.errors import Duplicate, InvalidArgument, NotFound
from crm_graphql.resolvers.policy import (
    ALL_SCOPES,
    ENTITY_OF,
    PII_FIELDS,
    Action,
    Entity,
    Forbidden,
    Unauthenticated,
    Viewer,
    require,
    role_scopes,
    row_scope,
)
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import (
    OutOfRange,
    Problems,
    Required,
    ValidationFailed,
    normalize_email,
    require_length,
)
from crm_graphql.resolvers.webhooks import ALL_EVENTS
from crm_graphql.resolvers.writes.core import TYPE_NAMES, create_row, plain, update_row, writable

EVENT_MODELS: dict[str, type[Model]] = {f"{name[0].lower()}{name[1:]}": model for model, name in TYPE_NAMES.items()}
EVENTS = frozenset(
    {f"{prefix}.{change}" for prefix in EVENT_MODELS for change in ("created", "updated")}
    | {"order.confirmed", "ticket.status_changed"}
)
MIN_SECRET_LENGTH = 16
MAX_SUBSCRIPTIONS_PER_KEY = 25
MAX_DELIVERIES = 100
HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


async def _audit(
    viewer: Viewer, row: Model, action: AuditAction, changes: Mapping[str, tuple[Any, Any]], conn: BaseDBAsyncClient
) -> None:
    """An audit entry without an outbox event: keys and subscriptions hold secrets partners must not receive."""
    diff = {field: [plain(old), plain(new)] for field, (old, new) in changes.items()}
    await AuditEntry.create(
        entity=type(row).__name__, entity_id=row.pk, action=action, actor=viewer.actor, changes=diff, using_db=conn
    )


async def _clean_user(
    viewer: Viewer, data: Mapping[str, Any], conn: BaseDBAsyncClient, row: User | None = None
) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = problems.check(require_length, data["name"] or "", field="name", model=User, column="name")
    if "email" in data:
        values["email"] = email = problems.check(normalize_email, data["email"], field="email")
        if email and await User.filter(email__iexact=email).using_db(conn).exists():
            problems.add(Duplicate("Another user already has this email.", "email"))
    for column in ("role", "active"):
        if column in data and data[column] is None:
            problems.add(Required("Must not be null.", column))
        elif column in data:
            values[column] = Role(data[column]) if column == "role" else data[column]
    if row is not None and row.pk == viewer.user_id:
        # Nobody locks themselves out: another admin changes an admin's own access.
        if values.get("role", row.role) is not row.role:
            problems.add(Forbidden("You cannot change your own role.", "role"))
        if values.get("active") is False:
            problems.add(Forbidden("You cannot deactivate yourself.", "active"))
    problems.raise_if_any()
    return values


async def create_user(viewer: Viewer | None, data: Mapping[str, Any]) -> User:
    viewer = require(viewer, Entity.USERS, Action.WRITE)
    try:
        async with in_transaction(PRIMARY) as conn:
            values = await _clean_user(viewer, data, conn)
            return await create_row(viewer, User, values, conn)
    except IntegrityError as exc:  # the check above catches duplicates; a concurrent writer can still win the race
        raise Duplicate("Another user already has this email.", "email") from exc


async def update_user(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> User:
    """Change a user; deactivating one refuses their tokens and API keys from the next request on."""
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, User, pk, conn)
        values = await _clean_user(viewer, data, conn, row)
        return await update_row(viewer, row, values, version, conn)


def _scopes(scopes: Sequence[str], owner: User | None) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in ALL_SCOPES]
    if unknown:
        raise ValidationFailed(f"Unknown scopes {unknown}; known: {sorted(ALL_SCOPES)}.", "scopes")
    # Partners act through their keys alone; anyone else's key does at most what their role may.
    beyond = [s for s in wanted if owner and owner.role is not Role.PARTNER and s not in role_scopes(owner.role)]
    if owner and beyond:
        raise Forbidden(f"A {owner.role.name} cannot hold {beyond}: beyond the role's rights.", "scopes")
    return wanted


def _expiry(expires_at: datetime, *, now: datetime) -> datetime:
    if expires_at.utcoffset() is None:
        raise ValidationFailed("Must include a time zone offset, e.g. 2030-03-01T00:00:00Z.", "expiresAt")
    if expires_at <= now:
        raise OutOfRange(f"Must be in the future, got {expires_at.isoformat()}.", "expiresAt")
    return expires_at.astimezone(UTC)


async def create_key(
    viewer: Viewer | None, user_pk: int, name: str, scopes: Sequence[str], expires_at: datetime | None
) -> tuple[ApiKey, str]:
    """A new API key for an active user, and its plaintext: returned this once, stored only as a hash."""
    viewer = require(viewer, Entity.USERS, Action.WRITE)
    async with in_transaction(PRIMARY) as conn:
        problems = Problems()
        name = problems.check(require_length, name, field="name", model=ApiKey, column="name") or ""
        owner = await User.filter(pk=user_pk, active=True, deleted_at__isnull=True).using_db(conn).first()
        if owner is None:
            problems.add(NotFound("No active user with this ID.", "user"))
        scopes = problems.check(_scopes, scopes, owner) or []
        if expires_at is not None:
            expires_at = problems.check(_expiry, expires_at, now=datetime.now(UTC))
        problems.raise_if_any()
        assert owner is not None  # reported above
        key, plaintext = await create_api_key(owner, name, scopes, expires_at=expires_at)
        changes = {"name": name, "user_id": owner.pk, "prefix": key.prefix, "scopes": scopes, "expires_at": expires_at}
        await _audit(viewer, key, AuditAction.CREATE, {k: (None, v) for k, v in changes.items()}, conn)
    return key, plaintext


async def revoke_api_key(viewer: Viewer | None, prefix: str) -> ApiKey:
    """Revoke a key at once: its next request gets HTTP 401 and its webhooks stop."""
    viewer = require(viewer, Entity.USERS, Action.WRITE)
    async with in_transaction(PRIMARY) as conn:
        key = await revoke_key(prefix.strip())
        await _audit(viewer, key, AuditAction.UPDATE, {"revoked_at": (None, key.revoked_at)}, conn)
    return key


async def _calling_key(viewer: Viewer | None) -> tuple[Viewer, ApiKey]:
    if viewer is None:
        raise Unauthenticated()
    if viewer.key_prefix is None:
        raise Forbidden("Webhook subscriptions belong to API keys: call with the partner system's key.")
    return viewer, await ApiKey.get(prefix=viewer.key_prefix)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` spells, shorthand forms resolvers accept (`10.1`, `0x7f000001`) included."""
    with suppress(ValueError):
        address = ipaddress.ip_address(host)
        return (address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else address
    with suppress(OSError):
        return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def webhook_url(value: str) -> str:
    """An absolute https URL of a public host, or http(s) to a loopback host for development."""
    text = require_length(value, field="url", model=WebhookSubscription, column="url")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        raise ValidationFailed(f"{text!r} is not a URL.", "url") from None
    if url.scheme not in ("https", "http") or not url.host or not url.is_absolute_url:
        raise ValidationFailed("Must be an absolute https URL, e.g. https://partner.example/crm-events.", "url")
    if url.userinfo:
        raise ValidationFailed("Must not contain credentials: verify the X-CRM-Signature header instead.", "url")
    host = url.raw_host.decode("ascii")  # international names in their IDNA form
    address = _address(host)
    if address is None and not HOST_NAME.fullmatch(host):
        raise ValidationFailed(f"{url.host!r} is not a host name.", "url")
    loopback = address.is_loopback if address else host == "localhost" or host.endswith(".localhost")
    if url.scheme == "http" and not loopback:
        raise ValidationFailed("Must use https (plain http is accepted for localhost only, for development).", "url")
    if address is not None and not loopback and (not address.is_global or address.is_multicast):
        raise ValidationFailed(f"{url.host} is a private or reserved address; use a public host.", "url")
    return text


def _may_receive(viewer: Viewer, name: str, field: str) -> None:
    for model in EVENT_MODELS.values() if name == ALL_EVENTS else [EVENT_MODELS[name.split(".")[0]]]:
        entity, scope = ENTITY_OF[model], row_scope(viewer, model)
        if not viewer.can(entity, Action.READ):
            raise Forbidden(f"Receiving {name} needs the '{entity}:{Action.READ}' scope.", field)
        if model in PII_FIELDS and not viewer.can_read_pii:
            raise Forbidden(f"{name} events carry personal data: the 'pii:read' scope is required.", field)
        if scope.children or scope.filters:
            raise Forbidden(f"{name} events cover rows this key's owner may not see.", field)


def _events(viewer: Viewer, names: Sequence[str]) -> list[str]:
    if not names:
        raise Required(f'Name at least one event, or "{ALL_EVENTS}" for all.', "events")
    problems = Problems()
    for index, name in enumerate(names):
        if name == ALL_EVENTS or name in EVENTS:
            problems.check(_may_receive, viewer, name, f"events.{index}")
        else:
            message = f'Unknown event {name!r}; known: "{ALL_EVENTS}", {", ".join(sorted(EVENTS))}.'
            problems.add(ValidationFailed(message, f"events.{index}"))
    problems.raise_if_any()
    return list(dict.fromkeys(names))


def _secret(secret: str) -> str:
    # Used verbatim as the HMAC key, so never stripped: surrounding spaces would be lost on one side.
    if not secret.isprintable() or secret != secret.strip():
        raise ValidationFailed("Must be printable, without surrounding spaces.", "secret")
    limit = WebhookSubscription._meta.fields_map["secret"].max_length  # type: ignore[attr-defined]
    if not MIN_SECRET_LENGTH <= len(secret) <= limit:
        raise OutOfRange(f"Must be {MIN_SECRET_LENGTH} to {limit} characters, got {len(secret)}.", "secret")
    return secret


async def create_subscription(
    viewer: Viewer | None, url: str, events: Sequence[str], secret: str | None
) -> tuple[WebhookSubscription, str | None]:
    """A subscription of the calling API key, and its signing secret if generated here (returned this once)."""
    viewer, key = await _calling_key(viewer)
    problems = Problems()
    url = problems.check(webhook_url, url) or ""
    events = problems.check(_events, viewer, events) or []
    if secret is not None:
        problems.check(_secret, secret)
    problems.raise_if_any()
    generated = None if secret is not None else secrets.token_urlsafe(32)
    async with in_transaction(PRIMARY) as conn:
        # Each subscription multiplies the deliveries of every event; the key row lock keeps the count exact.
        await ApiKey.filter(pk=key.pk).select_for_update().using_db(conn).first()
        if await WebhookSubscription.filter(api_key_id=key.pk).using_db(conn).count() >= MAX_SUBSCRIPTIONS_PER_KEY:
            raise OutOfRange(f"An API key has at most {MAX_SUBSCRIPTIONS_PER_KEY} subscriptions; delete one first.")
        subscription = await WebhookSubscription.create(
            api_key_id=key.pk, url=url, events=events, secret=secret or generated, using_db=conn
        )
        await _audit(viewer, subscription, AuditAction.CREATE, {"url": (None, url), "events": (None, events)}, conn)
    return subscription, generated


async def delete_subscription(viewer: Viewer | None, pk: int) -> WebhookSubscription:
    """Delete one of the calling key's subscriptions, with its deliveries: nothing more is sent to it."""
    viewer, key = await _calling_key(viewer)
    async with in_transaction(PRIMARY) as conn:
        subscription = await WebhookSubscription.filter(pk=pk, api_key_id=key.pk).using_db(conn).first()
        if subscription is None:
            raise NotFound("No webhook subscription of this API key with this ID.", "id")
        await WebhookSubscription.filter(pk=pk).using_db(conn).delete()
        changes = {"url": (subscription.url, None), "events": (subscription.events, None)}
        await _audit(viewer, subscription, AuditAction.DELETE, changes, conn)
    return subscription


async def deliveries(viewer: Viewer | None, *, first: int, status: DeliveryStatus | None) -> list[WebhookDelivery]:
    """The calling key's latest deliveries, newest first."""
    _, key = await _calling_key(viewer)
    if not 1 <= first <= MAX_DELIVERIES:
        raise InvalidArgument("first", f"must be between 1 and {MAX_DELIVERIES}, got {first}")
    query = WebhookDelivery.filter(subscription__api_key_id=key.pk)
    if status is not None:
        query = query.filter(status=status)
    return await query.order_by("-id").limit(first).select_related("event", "subscription")
