"""User, API key and webhook subscription mutations through the HTTP API, and the partner's delivery log."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from strawberry.relay import GlobalID

from crm_graphql import app as app_module
from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.models import DeliveryStatus, Role
from crm_graphql.resolvers.auth import issue_token
from crm_graphql.resolvers.webhooks import WebhookDispatcher, record_event
from crm_graphql.schema.errors import CRMSchema
from crm_graphql.schema.mutations import Mutation
from crm_graphql.schema.mutations.access import WebhookQueries
from crm_graphql.schema.queries import Query
from crm_graphql.settings import Settings
from tests.conftest import GraphQLClient, client_for, make_key

USER_CREATE = """
mutation ($input: UserCreateInput!) {
  userCreate(input: $input) { user { id name email role active } errors { field code message } }
}
"""
USER_UPDATE = """
mutation ($input: UserUpdateInput!) {
  userUpdate(input: $input) { user { role active version } errors { field code message } }
}
"""
KEY_CREATE = """
mutation ($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) {
    apiKey { prefix name scopes expiresAt lastUsedAt revokedAt user { email } }
    key
    errors { field code message }
  }
}
"""
KEY_REVOKE = """
mutation ($prefix: String!) {
  apiKeyRevoke(input: {prefix: $prefix}) { apiKey { prefix revokedAt } errors { field code message } }
}
"""
SUBSCRIBE = """
mutation ($input: WebhookSubscriptionCreateInput!) {
  webhookSubscriptionCreate(input: $input) {
    webhookSubscription { id url events active }
    secret
    errors { field code message }
  }
}
"""
UNSUBSCRIBE = """
mutation ($id: ID!) {
  webhookSubscriptionDelete(input: {id: $id}) { webhookSubscription { url } errors { field code } }
}
"""
DELIVERIES = """
query ($status: DeliveryStatus, $first: Int! = 100) {
  webhookDeliveries(status: $status, first: $first) { id event subject status attempts subscription { url } }
}
"""
SECRET = "test-secret-key-for-tokens-0123456789"


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def create_user(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"name": "Mia Marketer", "email": "Mia@Example.COM", "role": "MARKETER", **fields}}
    result: dict[str, Any] = (await gql.data(USER_CREATE, variables))["userCreate"]
    return result


async def create_key(gql: GraphQLClient, owner: int, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"user": gid("User", owner), "name": "ETL", "scopes": ["campaigns:read"], **fields}}
    result: dict[str, Any] = (await gql.data(KEY_CREATE, variables))["apiKeyCreate"]
    return result


async def subscribe(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"url": "https://partner.example/hooks", "events": ["customer.created"], **fields}}
    result: dict[str, Any] = (await gql.data(SUBSCRIBE, variables))["webhookSubscriptionCreate"]
    return result


async def status_of(app: Any, key: str) -> int:
    async with client_for(app, key) as http:
        response = await http.post("/graphql", json={"query": "{ campaigns { totalCount } }"})
    return response.status_code


async def test_user_create_normalises_email_and_records_audit_and_event(gql: GraphQLClient) -> None:
    result = await create_user(gql)
    assert result["errors"] == []
    assert {k: result["user"][k] for k in ("email", "role", "active")} == {
        "email": "Mia@example.com",
        "role": "MARKETER",
        "active": True,
    }
    user = await models.User.get(email="Mia@example.com")
    assert (await models.AuditEntry.get(entity="User", entity_id=user.pk)).changes["role"] == [None, "MARKETER"]
    assert (await models.OutboxEvent.get(entity_id=user.pk, entity="User")).name == "user.created"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"name": "x" * 201}, [("name", "TOO_LONG")]),
        ({"email": "no-at-sign"}, [("email", "INVALID")]),
        ({"email": "ADMIN@example.com"}, [("email", "DUPLICATE")]),
        ({"name": "", "email": "a@"}, [("name", "REQUIRED"), ("email", "INVALID")]),
    ],
)
async def test_invalid_users_are_refused_field_by_field(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await create_user(gql, **fields)
    assert (result["user"], codes(result)) == (None, expected)
    assert await models.User.all().count() == 1  # the admin of the `gql` fixture
    assert await models.AuditEntry.all().count() == 0


async def test_deactivating_a_user_stops_their_keys_at_once(app: Any, gql: GraphQLClient) -> None:
    user = await models.User.create(name="Rep", email="rep@example.com", role=Role.MARKETER)
    key = (await create_key(gql, user.pk))["key"]
    assert await status_of(app, key) == 200
    update = {"id": gid("User", user.pk), "version": 1, "active": False, "role": "SALES_REP"}
    result = (await gql.data(USER_UPDATE, {"input": update}))["userUpdate"]
    assert result == {"user": {"role": "SALES_REP", "active": False, "version": 2}, "errors": []}
    assert await status_of(app, key) == 401
    assert (await models.AuditEntry.get(entity="User", action="update")).changes == {
        "role": ["MARKETER", "SALES_REP"],
        "active": [True, False],
    }
    stale = (await gql.data(USER_UPDATE, {"input": {**update, "active": True}}))["userUpdate"]
    assert codes(stale) == [("version", "CONFLICT")]
    nulls = (await gql.data(USER_UPDATE, {"input": {**update, "version": 2, "role": None}}))["userUpdate"]
    assert codes(nulls) == [("role", "REQUIRED")]


async def test_admins_cannot_lock_themselves_out(gql: GraphQLClient) -> None:
    admin = await models.User.get(email="admin@example.com")
    update = {"id": gid("User", admin.pk), "version": 1, "active": False, "role": "MARKETER"}
    result = (await gql.data(USER_UPDATE, {"input": update}))["userUpdate"]
    assert codes(result) == [("role", "FORBIDDEN"), ("active", "FORBIDDEN")]
    assert (await models.User.get(pk=admin.pk)).active


async def test_only_admins_manage_access(app: Any, gql: GraphQLClient) -> None:
    user = await models.User.create(name="Someone", email="someone@example.com", role=Role.MARKETER)
    for role in (Role.MARKETER, Role.SALES_REP, Role.SUPPORT_AGENT):
        async with client_for(app, await make_key(role)) as http:
            other = GraphQLClient(http)
            assert codes(await create_user(other, email=f"{role}@example.com")) == [(None, "FORBIDDEN")]
            assert codes(await create_key(other, user.pk)) == [(None, "FORBIDDEN")]
            revoke = await other.data(KEY_REVOKE, {"prefix": "whatever"})
            assert codes(revoke["apiKeyRevoke"]) == [(None, "FORBIDDEN")]
    async with client_for(app, await make_key(Role.PARTNER, ["users:read", "users:write", "pii:read"])) as http:
        assert (await create_user(GraphQLClient(http)))["errors"] == []
    assert await models.ApiKey.filter(user_id=user.pk).count() == 0


async def test_a_new_key_authenticates_until_revoked(app: Any, gql: GraphQLClient) -> None:
    user = await models.User.create(name="Mia", email="mia@example.com", role=Role.MARKETER)
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    result = await create_key(gql, user.pk, expiresAt=expires.isoformat())
    key, api_key = result["key"], result["apiKey"]
    assert key.startswith(f"crm_{api_key['prefix']}_")
    assert api_key == {
        "prefix": api_key["prefix"],
        "name": "ETL",
        "scopes": ["campaigns:read"],
        "expiresAt": expires.isoformat(),
        "lastUsedAt": None,
        "revokedAt": None,
        "user": {"email": "mia@example.com"},
    }
    row = await models.ApiKey.get(prefix=api_key["prefix"])
    assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (await models.AuditEntry.get(entity="ApiKey")).changes["scopes"] == [None, ["campaigns:read"]]
    async with client_for(app, key) as http:
        assert (await GraphQLClient(http).data("{ campaigns { totalCount } }")) == {"campaigns": {"totalCount": 0}}
    revoked = (await gql.data(KEY_REVOKE, {"prefix": api_key["prefix"]}))["apiKeyRevoke"]
    assert (revoked["errors"], revoked["apiKey"]["revokedAt"] is not None) == ([], True)
    async with client_for(app, key) as http:
        response = await http.post("/graphql", json={"query": "{ campaigns { totalCount } }"})
    assert (response.status_code, response.json()["errors"][0]["message"]) == (401, "This API key has been revoked.")
    again = (await gql.data(KEY_REVOKE, {"prefix": api_key["prefix"]}))["apiKeyRevoke"]
    assert codes(again) == [("prefix", "NOT_FOUND")]
    assert await models.AuditEntry.filter(entity="ApiKey").count() == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"scopes": ["campaigns:read", "campaigns:delete"]}, [("scopes", "INVALID")]),
        ({"scopes": ["users:write"]}, [("scopes", "FORBIDDEN")]),
        ({"name": ""}, [("name", "REQUIRED")]),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, [("expiresAt", "OUT_OF_RANGE")]),
        ({"expiresAt": "2099-01-01T00:00:00"}, [("expiresAt", "INVALID")]),
        ({"user": gid("User", 9999)}, [("user", "NOT_FOUND")]),
        ({"user": gid("Customer", 1)}, [("user", "NOT_FOUND")]),
    ],
)
async def test_invalid_keys_are_refused(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    user = await models.User.create(name="Mia", email="mia@example.com", role=Role.MARKETER)
    result = await create_key(gql, user.pk, **fields)
    assert (result["key"], result["apiKey"], codes(result)) == (None, None, expected)
    assert await models.ApiKey.filter(user_id=user.pk).count() == 0


async def test_partner_keys_take_any_known_scopes_and_inactive_users_none(gql: GraphQLClient) -> None:
    partner = await models.User.create(name="ERP", email="erp@example.com", role=Role.PARTNER)
    assert (await create_key(gql, partner.pk, scopes=["customers:write", "users:read"]))["errors"] == []
    await models.User.filter(pk=partner.pk).update(active=False)
    assert codes(await create_key(gql, partner.pk)) == [("user", "NOT_FOUND")]


async def test_subscription_returns_a_generated_secret_once(gql: GraphQLClient) -> None:
    result = await subscribe(gql, events=["customer.created", "order.confirmed", "customer.created"])
    subscription = result["webhookSubscription"]
    assert (result["errors"], subscription["events"], subscription["active"]) == (
        [],
        ["customer.created", "order.confirmed"],
        True,
    )
    row = await models.WebhookSubscription.get()
    assert (row.secret, len(row.secret) >= 32) == (result["secret"], True)
    assert (await row.api_key).prefix == (await models.ApiKey.get(user__email="admin@example.com")).prefix
    chosen = await subscribe(gql, secret="s" * 16, events=["*"])
    assert (chosen["secret"], (await models.WebhookSubscription.get(pk=row.pk + 1)).secret) == (None, "s" * 16)
    assert await models.AuditEntry.filter(entity="WebhookSubscription").count() == 2


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://partner.example/hooks?x=1", True),
        ("http://localhost:8000/hooks", True),
        ("http://127.0.0.1:9/hooks", True),
        ("http://[::1]/hooks", True),
        ("https://8.8.8.8/hooks", True),
        ("https://bücher.example/hooks", True),
        ("http://partner.example/hooks", False),
        ("ftp://partner.example/hooks", False),
        ("partner.example/hooks", False),
        ("https://user:password@partner.example/", False),
        ("https://10.0.0.7/hooks", False),
        ("https://192.168.1.1/hooks", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[fd00::1]/hooks", False),
        ("https://[::ffff:10.0.0.1]/hooks", False),
        ("https://0x0a000001/hooks", False),
        ("https://10.1/hooks", False),
        ("https://0.0.0.0/hooks", False),
        ("https://part ner.example/hooks", False),
        ("https://" + "a" * 2000 + ".example/", False),
    ],
)
async def test_webhook_urls(gql: GraphQLClient, url: str, ok: bool) -> None:
    result = await subscribe(gql, url=url)
    assert codes(result) == ([] if ok else [("url", "TOO_LONG" if len(url) > 2000 else "INVALID")])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"events": []}, [("events", "REQUIRED")]),
        (
            {"events": ["customer.created", "customer.deleted", "*", "nope"]},
            [("events.1", "INVALID"), ("events.3", "INVALID")],
        ),
        ({"secret": "short"}, [("secret", "OUT_OF_RANGE")]),
        ({"secret": " padded-secret-value "}, [("secret", "INVALID")]),
        ({"url": "http://x.example", "events": ["x"]}, [("url", "INVALID"), ("events.0", "INVALID")]),
    ],
)
async def test_invalid_subscriptions_are_refused(
    gql: GraphQLClient, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await subscribe(gql, **fields)
    assert (result["webhookSubscription"], codes(result)) == (None, expected)
    assert await models.WebhookSubscription.all().count() == 0


@pytest.mark.parametrize(
    ("role", "scopes", "events", "expected"),
    [
        (Role.PARTNER, ["orders:read"], ["order.created", "customer.created"], [("events.1", "FORBIDDEN")]),
        (Role.PARTNER, ["customers:read"], ["customer.updated"], [("events.0", "FORBIDDEN")]),  # no pii:read
        (Role.PARTNER, ["orders:read", "products:read"], ["*"], [("events.0", "FORBIDDEN")]),
        (Role.SALES_REP, None, ["customer.created", "product.updated"], [("events.0", "FORBIDDEN")]),
        (Role.PARTNER, ["tickets:read"], ["ticket.status_changed"], []),
    ],
)
async def test_events_need_read_access_to_every_row_they_carry(
    app: Any, role: Role, scopes: list[str] | None, events: list[str], expected: list[tuple[str, str]]
) -> None:
    async with client_for(app, await make_key(role, scopes)) as http:
        assert codes(await subscribe(GraphQLClient(http), events=events)) == expected


async def test_people_cannot_subscribe(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key=SECRET))
    async with app.router.lifespan_context(app):
        admin = await models.User.create(name="Admin", email="a@example.com", role=Role.ADMIN)
        async with client_for(app, issue_token(admin, SECRET, timedelta(hours=1))) as http:
            assert codes(await subscribe(GraphQLClient(http))) == [(None, "FORBIDDEN")]
        async with client_for(app, None) as http:
            assert codes(await subscribe(GraphQLClient(http))) == [(None, "UNAUTHENTICATED")]


async def test_a_key_deletes_only_its_own_subscriptions(app: Any, gql: GraphQLClient) -> None:
    mine = (await subscribe(gql))["webhookSubscription"]["id"]
    async with client_for(app, await make_key(Role.PARTNER, ["customers:read", "pii:read"])) as http:
        other = GraphQLClient(http)
        theirs = (await subscribe(other))["webhookSubscription"]["id"]
        assert codes((await other.data(UNSUBSCRIBE, {"id": mine}))["webhookSubscriptionDelete"]) == [
            ("id", "NOT_FOUND")
        ]
    deleted = (await gql.data(UNSUBSCRIBE, {"id": mine}))["webhookSubscriptionDelete"]
    assert deleted == {"webhookSubscription": {"url": "https://partner.example/hooks"}, "errors": []}
    assert [s.pk for s in await models.WebhookSubscription.all()] == [int(GlobalID.from_id(theirs).node_id)]


@pytest.fixture
async def deliveries_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The app with `webhookDeliveries` (served by a schema of its own until the root Query mixes it in)."""
    if not hasattr(Query, "webhook_deliveries"):
        monkeypatch.setattr(app_module, "schema", CRMSchema(query=WebhookQueries, mutation=Mutation))
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_key_reads_its_latest_deliveries(deliveries_app: Any) -> None:
    async with (
        client_for(deliveries_app, await make_key(Role.ADMIN)) as http,
        client_for(deliveries_app, await make_key(Role.PARTNER, ["tickets:read"])) as other_http,
    ):
        gql, other = GraphQLClient(http), GraphQLClient(other_http)
        await subscribe(gql, events=["*"])
        await subscribe(other, events=["ticket.status_changed"])
        for entity_id in (1, 2, 3):
            await record_event("customer.created", "Customer", entity_id, {})
        await record_event("ticket.status_changed", "Ticket", 4, {})
        dispatcher = WebhookDispatcher()
        await dispatcher.plan()
        await dispatcher.aclose()
        await models.WebhookDelivery.filter(event__entity_id=1).update(status=DeliveryStatus.FAILED)
        newest_first = (await gql.data(DELIVERIES))["webhookDeliveries"]
        failed = (await gql.data(DELIVERIES, {"status": "FAILED"}))["webhookDeliveries"]
        theirs = (await other.data(DELIVERIES, {"first": 1}))["webhookDeliveries"]
        too_many = await gql(DELIVERIES, {"first": 101})
    assert [(d["event"], d["subject"], d["status"]) for d in newest_first] == [
        ("ticket.status_changed", gid("Ticket", 4), "PENDING"),
        ("customer.created", gid("Customer", 3), "PENDING"),
        ("customer.created", gid("Customer", 2), "PENDING"),
        ("customer.created", gid("Customer", 1), "FAILED"),
    ]
    assert [d["subject"] for d in failed] == [gid("Customer", 1)]
    assert [(d["event"], d["attempts"]) for d in theirs] == [("ticket.status_changed", 0)]
    assert too_many["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": "first"}


async def test_deliveries_are_for_api_keys(deliveries_app: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=deliveries_app), base_url="http://test") as http:
        body = await GraphQLClient(http)(DELIVERIES)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
