"""Who may read what: every role and scope against every entity, personal data, credentials."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest

from crm_graphql import models
from crm_graphql.models import Role
from crm_graphql.resolvers.auth import create_api_key, issue_token
from crm_graphql.resolvers.policy import role_scopes
from tests.conftest import client_for

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ENTITIES = ("customers", "products", "orders", "visits", "tickets", "campaigns", "users")


async def world() -> dict[str, Any]:
    """Two reps with one customer each (an order, a visit, a ticket and a membership each), a product,
    a campaign, and a user of every role with an API key carrying that role's scopes."""
    users = {
        role: await models.User.create(name=f"{role.value} one", email=f"{role.value}@example.com", role=role)
        for role in Role
    }
    other_rep = await models.User.create(name="rep two", email="rep2@example.com", role=Role.SALES_REP)
    product = await models.Product.create(sku="S-1", name="Desk", category="Office", unit_price=Decimal("100.00"))
    campaign = await models.Campaign.create(
        name="Spring", channel=models.Channel.EMAIL, starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31)
    )
    for n, owner in enumerate((users[Role.SALES_REP], other_rep)):
        customer = await models.Customer.create(
            name=f"Customer {n}", email=f"c{n}@example.org", phone=f"+4930100{n}", segment="consumer", owner=owner
        )
        order = await models.Order.create(
            customer=customer, rep=owner, ordered_at=T0, total=Decimal("100.00"), status="completed"
        )
        await models.OrderLine.create(order=order, product=product, quantity=1, unit_price=100, line_total=100)
        await models.Visit.create(customer=customer, rep=owner, scheduled_at=T0, purpose="Review")
        await models.Ticket.create(customer=customer, kind="feedback", subject="Hi", opened_at=T0)
        await models.CampaignMember.create(campaign=campaign, customer=customer)
    keys = {role: (await create_api_key(user, "t", role_scopes(role)))[1] for role, user in users.items()}
    return {"users": users, "keys": keys}


# What each role sees of each entity: a row count, or None for FORBIDDEN.
EXPECTED: dict[Role, dict[str, int | None]] = {
    Role.ADMIN: {"customers": 2, "products": 1, "orders": 2, "visits": 2, "tickets": 2, "campaigns": 1, "users": 6},
    Role.SALES_REP: {
        "customers": 1, "products": 1, "orders": 1, "visits": 1, "tickets": 1, "campaigns": None, "users": 6,
    },
    Role.SUPPORT_AGENT: {
        "customers": 2, "products": 1, "orders": 2, "visits": None, "tickets": 2, "campaigns": None, "users": 6,
    },
    Role.MARKETER: {
        "customers": 2, "products": 1, "orders": None, "visits": None, "tickets": None, "campaigns": 1, "users": 6,
    },
    Role.PARTNER: dict.fromkeys(ENTITIES),
}  # fmt: skip


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_reads_what_its_grants_allow(app: Any, role: Role) -> None:
    keys = (await world())["keys"]
    async with client_for(app, keys[role]) as http:
        for entity in ENTITIES:
            body = await post(http, f"{{ {entity}(first: 50) {{ totalCount edges {{ node {{ id }} }} }} }}")
            expected = EXPECTED[role][entity]
            if expected is None:
                assert body["data"] == {entity: None}, (role, entity, body)
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, entity, body)
            else:
                assert "errors" not in body, (role, entity, body)
                assert body["data"][entity]["totalCount"] == expected, (role, entity)
                assert len(body["data"][entity]["edges"]) == expected, (role, entity)


async def test_a_rep_cannot_reach_another_reps_customer_by_id_or_relation(app: Any) -> None:
    setup = await world()
    others = await models.Customer.get(name="Customer 1")
    from strawberry.relay import GlobalID

    other_id = str(GlobalID("Customer", str(others.pk)))
    async with client_for(app, setup["keys"][Role.SALES_REP]) as http:
        body = await post(
            http,
            """query ($id: ID!) { customer(id: $id) { name } node(id: $id) { id }
                 users(filter: {email: {eq: "rep2@example.com"}}) {
                   edges { node { ownedCustomers { totalCount } } } } }""",
            {"id": other_id},
        )
    assert body["data"]["customer"] is None
    assert body["data"]["node"] is None
    assert body["data"]["users"]["edges"][0]["node"]["ownedCustomers"]["totalCount"] == 0


async def test_a_denied_relation_is_an_error_on_that_field_only(app: Any) -> None:
    setup = await world()
    async with client_for(app, setup["keys"][Role.MARKETER]) as http:
        body = await post(http, "{ campaigns { edges { node { name orders { totalCount } } } } }")
    assert body["data"]["campaigns"]["edges"][0]["node"] == {"name": "Spring", "orders": None}
    assert body["errors"][0]["path"] == ["campaigns", "edges", 0, "node", "orders"]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


PERSONAL = """
{
  customers { edges { node { name email phone address } } }
  orders { edges { node { customer { email } } } }
  users(first: 1) { edges { node { name email } } }
}
"""


async def test_a_partner_without_pii_read_never_receives_email_or_phone(app: Any) -> None:
    partner = (await world())["users"][Role.PARTNER]
    _, key = await create_api_key(partner, "erp", ["customers:read", "orders:read", "users:read"])
    async with client_for(app, key) as http:
        body = await post(http, PERSONAL)
        node_id = body["data"]["customers"]["edges"][0]["node"]
        customer_id = (await post(http, "{ customers(first: 1) { edges { node { id } } } }"))["data"]["customers"]
        by_node = await post(
            http,
            "query ($id: ID!) { node(id: $id) { ... on Customer { email phone } } }",
            {"id": customer_id["edges"][0]["node"]["id"]},
        )
        filtered = await post(http, '{ customers(filter: {email: {contains: "c0"}}) { totalCount } }')
        searched = await post(http, '{ customers(filter: {search: "c0@example"}) { totalCount } }')
    text = str([body, by_node, filtered, searched])
    assert "@example.org" not in text and "+49301" not in text and "@example.com" not in text
    assert node_id == {"name": "Customer 0", "email": None, "phone": None, "address": None}
    codes = {e["extensions"]["code"] for b in (body, by_node, filtered, searched) for e in b["errors"]}
    assert codes == {"FORBIDDEN"}
    assert filtered["data"] == searched["data"] == {"customers": None}


async def test_pii_read_scope_reveals_personal_data(app: Any) -> None:
    partner = (await world())["users"][Role.PARTNER]
    _, key = await create_api_key(partner, "crm sync", ["customers:read", "pii:read"])
    async with client_for(app, key) as http:
        body = await post(http, "{ customers(first: 1) { edges { node { email phone } } } }")
    assert body == {"data": {"customers": {"edges": [{"node": {"email": "c0@example.org", "phone": "+49301000"}}]}}}


async def test_reports_follow_the_reports_grant(app: Any) -> None:
    keys = (await world())["keys"]
    query = '{ salesReport(from: "2026-05-01", to: "2026-05-31", groupBy: MONTH, by: SEGMENT) { revenue } }'
    for role, allowed in ((Role.MARKETER, True), (Role.ADMIN, True), (Role.SALES_REP, False)):
        async with client_for(app, keys[role]) as http:
            body = await post(http, query)
        if allowed:
            assert body["data"]["salesReport"] == [{"revenue": "200.00"}], role
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role


async def test_no_credentials_is_an_unauthenticated_error_but_introspection_works(app: Any) -> None:
    async with client_for(app, None) as http:
        body = await post(http, "{ customers { totalCount } }")
        schema = await post(http, "{ __schema { queryType { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert schema == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked_at": T0}, "This API key has been revoked."),
        ({"expires_at": datetime.now(UTC) - timedelta(minutes=1)}, "This API key has expired."),
    ],
)
async def test_revoked_or_expired_keys_get_401(app: Any, change: dict[str, Any], message: str) -> None:
    admin = await models.User.create(name="A", email="a@example.com", role=Role.ADMIN)
    key, plaintext = await create_api_key(admin, "t", role_scopes(Role.ADMIN))
    await models.ApiKey.filter(pk=key.pk).update(**change)
    async with client_for(app, plaintext) as http:
        response = await http.post("/graphql", json={"query": "{ users { totalCount } }"})
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}


@pytest.mark.parametrize("credential", ["crm_0000_nope", "not-a-token", "crm_"])
async def test_unknown_credentials_get_401(app: Any, credential: str) -> None:
    async with client_for(app, credential) as http:
        response = await http.post("/graphql", json={"query": "{ users { totalCount } }"})
    assert response.status_code == 401


async def test_people_use_signed_tokens(database_url: str) -> None:
    from crm_graphql.app import create_app
    from crm_graphql.settings import Settings

    app = create_app(Settings(database_url=database_url, secret_key=SECRET))
    async with app.router.lifespan_context(app):
        agent = await models.User.create(name="Agent", email="agent@example.com", role=Role.SUPPORT_AGENT)
        good = issue_token(agent, SECRET, timedelta(hours=1))
        expired = jwt.encode({"sub": str(agent.pk), "iss": "crm-graphql", "exp": T0}, SECRET, algorithm="HS256")
        forged = issue_token(agent, SECRET + "x", timedelta(hours=1))
        async with client_for(app, good) as http:
            body = await post(http, "{ tickets { totalCount } campaigns { totalCount } }")
        assert body["data"] == {"tickets": {"totalCount": 0}, "campaigns": None}
        for token, message in ((expired, "The token has expired."), (forged, "The token is not valid.")):
            async with client_for(app, token) as http:
                response = await http.post("/graphql", json={"query": "{ tickets { totalCount } }"})
            assert (response.status_code, response.json()["errors"][0]["message"]) == (401, message)
        await models.User.filter(pk=agent.pk).update(active=False)
        async with client_for(app, good) as http:
            response = await http.post("/graphql", json={"query": "{ tickets { totalCount } }"})
        assert response.status_code == 401


def create_mutations(setup: dict[str, Any], role: Role) -> dict[str, tuple[str, dict[str, Any]]]:
    """One create mutation per entity, with a valid input for a caller of `role`."""
    from strawberry.relay import GlobalID

    customer = str(GlobalID("Customer", str(setup["own_customer"])))
    product = str(GlobalID("Product", str(setup["product"])))
    rep = str(GlobalID("User", str(setup["users"][Role.SALES_REP].pk)))
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    visit: dict[str, Any] = {"customer": customer, "scheduledAt": later, "purpose": "Review"}
    if role is not Role.SALES_REP:
        visit["rep"] = rep
    return {
        "customers": ("customerCreate", {"name": "New", "segment": "CONSUMER"}),
        "products": ("productCreate", {"sku": f"N-{role.value}", "name": "New", "category": "X", "unitPrice": "1.00"}),
        "orders": ("orderCreate", {"customer": customer, "lines": [{"product": product, "quantity": 1}]}),
        "visits": ("visitCreate", visit),
        "tickets": ("ticketCreate", {"customer": customer, "kind": "FEEDBACK", "subject": "Hello"}),
        "campaigns": (
            "campaignCreate",
            {"name": "New", "channel": "EMAIL", "startsOn": "2026-06-01", "endsOn": "2026-06-30"},
        ),
        "users": ("userCreate", {"name": "New", "email": f"new.{role.value}@example.com", "role": "MARKETER"}),
    }


WRITES: dict[Role, set[str]] = {
    Role.ADMIN: set(ENTITIES),
    Role.SALES_REP: {"customers", "orders", "visits"},
    Role.SUPPORT_AGENT: {"tickets"},
    Role.MARKETER: {"campaigns"},
    Role.PARTNER: set(),
}


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_writes_what_its_grants_allow(app: Any, role: Role) -> None:
    setup = await world()
    setup["own_customer"] = (await models.Customer.get(name="Customer 0")).pk  # the first rep's
    setup["product"] = (await models.Product.get(sku="S-1")).pk
    async with client_for(app, setup["keys"][role]) as http:
        for entity, (mutation, data) in create_mutations(setup, role).items():
            input_type = mutation[0].upper() + mutation[1:] + "Input"
            query = f"mutation ($input: {input_type}!) {{ {mutation}(input: $input) {{ errors {{ field code }} }} }}"
            errors = (await post(http, query, {"input": data}))["data"][mutation]["errors"]
            if entity in WRITES[role]:
                assert errors == [], (role, entity, errors)
            else:
                assert [e["code"] for e in errors] == ["FORBIDDEN"], (role, entity, errors)
