"""Access mutations: users and API keys (admins, or keys with `users:write`), and partners' webhook subscriptions.

`WebhookQueries` holds the partner's delivery log; the root Query mixes it in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.resolvers.writes import access as writes
from crm_graphql.schema.access import User
from crm_graphql.schema.enums import Role
from crm_graphql.schema.errors import as_graphql_errors
from crm_graphql.schema.mutations.payloads import UserError, attempt, given, row_id
from crm_graphql.schema.nodes import related

UNSET: Any = strawberry.UNSET
ERRORS = "Why nothing was written; empty on success."
strawberry.enum(
    models.DeliveryStatus,
    name="DeliveryStatus",
    description="PENDING (being tried, with retries), DELIVERED, or FAILED after the last attempt.",
)


def _global_id(type_name: str) -> Any:
    def resolve(root: strawberry.Parent[Any]) -> relay.GlobalID:
        return relay.GlobalID(type_name, str(root.pk))

    return resolve


@strawberry.type(description="An API key's public details; its secret is shown once, by apiKeyCreate.")
class ApiKey:
    prefix: str = strawberry.field(description="Public part of the key (`crm_<prefix>_…`), naming it in apiKeyRevoke.")
    name: str = strawberry.field(description="What the key is for.")
    scopes: list[str] = strawberry.field(description="What the key may do, e.g. `customers:read`.")
    expires_at: datetime | None = strawberry.field(description="When the key stops working; null: never.")
    last_used_at: datetime | None = strawberry.field(description="When the key was last used (to the minute).")
    revoked_at: datetime | None = strawberry.field(description="When the key was revoked; null while usable.")
    created_at: datetime = strawberry.field(description="When the key was issued.")
    user = related(models.User, "user_id", User, "The user the key acts for.")


@strawberry.type(description="Where the CRM POSTs the events a partner's API key subscribed to, signed.")
class WebhookSubscription:
    id: relay.GlobalID = strawberry.field(resolver=_global_id("WebhookSubscription"), description="The ID.")
    url: str = strawberry.field(description="The receiving URL.")
    events: list[str] = strawberry.field(description='Event names, e.g. `customer.created`, or "*" for all.')
    active: bool = strawberry.field(description="Whether events are sent.")
    created_at: datetime = strawberry.field(description="When the subscription was made.")


def _event(root: strawberry.Parent[Any]) -> str:
    return str(root.event.name)


def _subject(root: strawberry.Parent[Any]) -> relay.GlobalID:
    return relay.GlobalID(root.event.entity, str(root.event.entity_id))


def _occurred_at(root: strawberry.Parent[Any]) -> datetime:
    return root.event.created_at  # type: ignore[no-any-return]


@strawberry.type(description="One event sent (or being sent) to one subscription.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's ID, as sent in the X-CRM-Delivery header.")
    event: str = strawberry.field(resolver=_event, description="The event name, e.g. `customer.created`.")
    subject: relay.GlobalID = strawberry.field(resolver=_subject, description="ID of the record the event is about.")
    occurred_at: datetime = strawberry.field(resolver=_occurred_at, description="When the change happened.")
    status: models.DeliveryStatus = strawberry.field(description="Where the delivery is.")
    attempts: int = strawberry.field(description="POSTs made so far.")
    last_status_code: int | None = strawberry.field(description="HTTP status of the last attempt; null: no answer.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next, while PENDING.")
    delivered_at: datetime | None = strawberry.field(description="When the receiver accepted it.")
    subscription: WebhookSubscription = strawberry.field(description="The subscription it was sent to.")


@strawberry.input(description="A new user; they sign in with a token or act through API keys issued to them.")
class UserCreateInput:
    name: str = strawberry.field(description="Full name (required, at most 200 characters).")
    email: str = strawberry.field(description="E-mail address, unique among users (case-insensitive).")
    role: Role = strawberry.field(description="What the user may do.")


@strawberry.input(description="Changes to a user: only the fields given change.")
class UserUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The user to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    name: str | None = strawberry.field(default=UNSET, description="New full name.")
    role: Role | None = strawberry.field(default=UNSET, description="New role (not your own).")
    active: bool | None = strawberry.field(
        default=UNSET, description="False refuses the user's tokens and API keys at once (not your own)."
    )


@strawberry.input(description="A new API key for a user.")
class ApiKeyCreateInput:
    user: relay.GlobalID = strawberry.field(description="The active user the key acts for.")
    name: str = strawberry.field(description="What the key is for, e.g. the partner system's name.")
    scopes: list[str] = strawberry.field(
        description="E.g. `customers:read`, `pii:read`; only those of the user's role, unless the user is a PARTNER."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="When the key stops; null: never.")


@strawberry.input(description="An API key to revoke.")
class ApiKeyRevokeInput:
    prefix: str = strawberry.field(description="The key's `prefix`.")


@strawberry.input(description="A subscription of the calling API key.")
class WebhookSubscriptionCreateInput:
    url: str = strawberry.field(description="An https URL of a public host (plain http only to localhost).")
    events: list[str] = strawberry.field(
        description='Event names (e.g. `customer.created`, `order.confirmed`, `ticket.status_changed`) or "*" '
        "for all; each needs the read scope of its entity (and `pii:read` for customers and users)."
    )
    secret: str | None = strawberry.field(
        default=None, description="HMAC key for X-CRM-Signature, 16 to 100 characters; null: one is generated."
    )


@strawberry.input(description="A subscription of the calling API key to delete.")
class WebhookSubscriptionDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The subscription.")


@strawberry.type(description="The result of userCreate.")
class UserCreatePayload:
    user: User | None = strawberry.field(description="The user as written; null when there are errors.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of userUpdate.")
class UserUpdatePayload:
    user: User | None = strawberry.field(description="The user as written; null when there are errors.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of apiKeyCreate.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(description="The key's public details; null when there are errors.")
    key: str | None = strawberry.field(description="The key itself, shown this once: store it now.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of apiKeyRevoke.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = strawberry.field(description="The revoked key; null when there are errors.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of webhookSubscriptionCreate.")
class WebhookSubscriptionCreatePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The subscription; null when there are errors."
    )
    secret: str | None = strawberry.field(description="The generated signing secret, shown this once; else null.")
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="The result of webhookSubscriptionDelete.")
class WebhookSubscriptionDeletePayload:
    webhook_subscription: WebhookSubscription | None = strawberry.field(
        description="The deleted subscription; null when there are errors."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type
class AccessMutations:
    @strawberry.mutation(description="Add a user (admins only).")
    async def user_create(
        self, info: Info, input: Annotated[UserCreateInput, strawberry.argument(description="The user.")]
    ) -> UserCreatePayload:
        async def run() -> Any:
            return await writes.create_user(info.context.viewer, given(input))

        user, errors = await attempt(run())
        return UserCreatePayload(user=user, errors=errors)

    @strawberry.mutation(description="Change a user's name, role or access (admins only; optimistic locking).")
    async def user_update(
        self, info: Info, input: Annotated[UserUpdateInput, strawberry.argument(description="The user and changes.")]
    ) -> UserUpdatePayload:
        async def run() -> Any:
            data = given(input)
            pk, version = row_id(data.pop("id"), "User"), data.pop("version")
            return await writes.update_user(info.context.viewer, pk, version, data)

        user, errors = await attempt(run())
        return UserUpdatePayload(user=user, errors=errors)

    @strawberry.mutation(description="Issue an API key (admins only); the payload holds the key, shown once.")
    async def api_key_create(
        self, info: Info, input: Annotated[ApiKeyCreateInput, strawberry.argument(description="The key to issue.")]
    ) -> ApiKeyCreatePayload:
        async def run() -> Any:
            user_pk = row_id(input.user, "User", "user")
            viewer = info.context.viewer
            return await writes.create_key(viewer, user_pk, input.name, input.scopes, input.expires_at)

        result, errors = await attempt(run())
        api_key, key = result or (None, None)
        return ApiKeyCreatePayload(api_key=api_key, key=key, errors=errors)

    @strawberry.mutation(description="Revoke an API key at once (admins only): its next request gets HTTP 401.")
    async def api_key_revoke(
        self, info: Info, input: Annotated[ApiKeyRevokeInput, strawberry.argument(description="The key to revoke.")]
    ) -> ApiKeyRevokePayload:
        async def run() -> Any:
            return await writes.revoke_api_key(info.context.viewer, input.prefix)

        api_key, errors = await attempt(run())
        return ApiKeyRevokePayload(api_key=api_key, errors=errors)

    @strawberry.mutation(description="Subscribe the calling API key to events (API keys only, not people).")
    async def webhook_subscription_create(
        self,
        info: Info,
        input: Annotated[WebhookSubscriptionCreateInput, strawberry.argument(description="The subscription.")],
    ) -> WebhookSubscriptionCreatePayload:
        async def run() -> Any:
            return await writes.create_subscription(info.context.viewer, input.url, input.events, input.secret)

        result, errors = await attempt(run())
        subscription, secret = result or (None, None)
        return WebhookSubscriptionCreatePayload(webhook_subscription=subscription, secret=secret, errors=errors)

    @strawberry.mutation(description="Delete a subscription of the calling API key, with its delivery log.")
    async def webhook_subscription_delete(
        self,
        info: Info,
        input: Annotated[WebhookSubscriptionDeleteInput, strawberry.argument(description="The subscription.")],
    ) -> WebhookSubscriptionDeletePayload:
        async def run() -> Any:
            return await writes.delete_subscription(info.context.viewer, row_id(input.id, "WebhookSubscription"))

        subscription, errors = await attempt(run())
        return WebhookSubscriptionDeletePayload(webhook_subscription=subscription, errors=errors)


@strawberry.type(description="What a partner's API key reads about its webhooks.")
class WebhookQueries:
    @strawberry.field(
        description="The calling API key's latest webhook deliveries, newest first.",
        graphql_type=list[WebhookDelivery],
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="At most this many, 1 to 100.")] = 100,
        status: Annotated[
            models.DeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this state."),
        ] = None,
    ) -> Any:
        with as_graphql_errors():
            return await writes.deliveries(info.context.viewer, first=first, status=status)
