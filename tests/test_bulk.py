"""Bulk sync through the HTTP API (customersUpsert, productsUpsert) and the `crm-graphql import` command."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from crm_graphql.models import Role
from tests.conftest import GraphQLClient, StatementCounter, client_for, make_key
from tests.test_cli import run

CUSTOMERS = """
mutation ($input: CustomersUpsertInput!) {
  customersUpsert(input: $input) {
    results { index externalId created changed customer { id name email version } errors { field code message } }
    errors { field code message }
  }
}
"""
CSV_HEADER = ["external_id", "name", "email", "phone", "address", "segment", "owner_email"]
PRODUCTS = """
mutation ($input: ProductsUpsertInput!) {
  productsUpsert(input: $input) {
    results { index externalId created changed product { sku unitPrice active } errors { field code } }
    errors { field code message }
  }
}
"""


def customer(n: int, **fields: Any) -> dict[str, Any]:
    base = {"externalId": f"ERP-{n}", "name": f"Customer {n}", "segment": "CONSUMER", "email": f"c{n}@example.com"}
    return base | fields


async def upsert(gql: GraphQLClient, items: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    data = await gql.data(CUSTOMERS, {"input": {"items": items, **options}})
    result: dict[str, Any] = data["customersUpsert"]
    return result


async def counts() -> tuple[int, ...]:
    """Customers, audit entries and outbox events."""
    return tuple([await model.all().count() for model in (models.Customer, models.AuditEntry, models.OutboxEvent)])


def verdicts(result: dict[str, Any]) -> list[str]:
    kind = {(True, False): "created", (False, True): "changed", (False, False): "same"}
    return ["rejected" if r["errors"] else kind[r["created"], r["changed"]] for r in result["results"]]


async def test_ten_thousand_customers_in_batches_and_rerun_changes_nothing(
    gql: GraphQLClient, database_url: str
) -> None:
    # 10,000 take 10 s on SQLite (8 s on PostgreSQL): SQLite runs two batches of the same code path.
    total = 10_000 if database_url.startswith("postgres") else 2_000
    batches = [[customer(n) for n in range(start, start + 1_000)] for start in range(0, total, 1_000)]
    for items in batches:
        result = await upsert(gql, items)
        assert result["errors"] == []
        assert set(verdicts(result)) == {"created"}
    assert await counts() == (total, total, total)
    versions = dict(await models.Customer.all().values_list("external_id", "version"))
    assert set(versions.values()) == {1}

    for items in batches:
        result = await upsert(gql, items)
        assert set(verdicts(result)) == {"same"}
        assert {r["customer"]["version"] for r in result["results"]} == {1}
    assert await counts() == (total, total, total)
    assert dict(await models.Customer.all().values_list("external_id", "version")) == versions


async def test_changed_items_bump_version_with_audit_and_event(gql: GraphQLClient) -> None:
    await upsert(gql, [customer(1), customer(2), customer(3, phone="030 1234567")])
    result = await upsert(gql, [customer(1), customer(2, name="Renamed"), customer(3, phone=None), customer(4)])
    assert verdicts(result) == ["same", "changed", "changed", "created"]
    assert [r["customer"]["version"] for r in result["results"]] == [1, 2, 2, 1]
    renamed = await models.Customer.get(external_id="ERP-2")
    update = await models.AuditEntry.get(entity="Customer", entity_id=renamed.pk, action="update")
    assert update.changes == {"name": ["Customer 2", "Renamed"]}
    assert update.actor.startswith("key:")
    event = await models.OutboxEvent.get(entity_id=renamed.pk, name="customer.updated")
    assert event.payload == {"id": renamed.pk, "changes": {"name": ["Customer 2", "Renamed"]}, "actor": update.actor}
    assert (await models.Customer.get(external_id="ERP-3")).phone is None
    new = await models.Customer.get(external_id="ERP-4")
    assert (await models.AuditEntry.get(entity_id=new.pk, entity="Customer")).changes["external_id"] == [None, "ERP-4"]
    assert await counts() == (4, 6, 6)


async def test_three_bad_items_are_reported_and_the_others_written(gql: GraphQLClient) -> None:
    await upsert(gql, [customer(0, email="taken@example.com")])
    items = [customer(n) for n in range(1, 21)]
    items[4]["email"] = "not-an-address"
    items[9]["name"] = " "
    items[17]["email"] = "TAKEN@example.com"
    result = await upsert(gql, items)
    assert result["errors"] == []
    rejected = [(r["index"], e["field"], e["code"]) for r in result["results"] for e in r["errors"]]
    assert rejected == [
        (4, "items.4.email", "INVALID"),
        (9, "items.9.name", "REQUIRED"),
        (17, "items.17.email", "DUPLICATE"),
    ]
    assert [r["customer"] is None for r in result["results"]] == [n in (4, 9, 17) for n in range(20)]
    assert await counts() == (18, 18, 18)


async def test_all_or_nothing_writes_nothing_when_one_item_is_bad(gql: GraphQLClient) -> None:
    await upsert(gql, [customer(1)])
    items = [customer(1, name="Changed"), customer(2), customer(3, segment="ENTERPRISE", email="bad")]
    result = await upsert(gql, items, allOrNothing=True)
    message = "Nothing was written: 1 of 3 items have errors (allOrNothing)."
    assert result["errors"] == [{"field": "items", "code": "INVALID", "message": message}]
    assert [r["customer"] for r in result["results"]] == [None, None, None]
    assert [[e["field"] for e in r["errors"]] for r in result["results"]] == [[], [], ["items.2.email"]]
    assert await counts() == (1, 1, 1)
    assert (await models.Customer.get()).name == "Customer 1"
    fixed = await upsert(gql, items[:2], allOrNothing=True)
    assert (fixed["errors"], verdicts(fixed)) == ([], ["changed", "created"])


async def test_duplicates_within_a_batch_and_against_other_rows(gql: GraphQLClient) -> None:
    await upsert(gql, [customer(1), customer(2), customer(3)])
    await models.Customer.filter(external_id="ERP-3").update(deleted_at=datetime.now(UTC))
    items = [
        customer(1, email="c2@EXAMPLE.com"),  # another customer's e-mail
        customer(4, externalId="erp-2"),  # another customer's key in another case
        customer(3, email=None),  # a deleted customer's key
        customer(5),
        customer(5, email="five@example.com"),  # the same key twice
        customer(6, email="c5@example.com"),  # the same e-mail as item 3
    ]
    result = await upsert(gql, items)
    errors = [[(e["field"], e["code"], e["message"]) for e in r["errors"]] for r in result["results"]]
    assert errors == [
        [("items.0.email", "DUPLICATE", "Another customer already has this email.")],
        [("items.1.externalId", "DUPLICATE", "Another customer already has this externalId.")],
        [("items.2.externalId", "DUPLICATE", "A deleted customer has this externalId: restore it first.")],
        [],
        [("items.4.externalId", "DUPLICATE", "Item 3 has the same externalId.")],
        [("items.5.email", "DUPLICATE", "Item 3 has the same email.")],
    ]
    assert await models.Customer.all().count() == 4


async def test_sales_reps_own_new_customers_and_cannot_touch_others(app: Any, gql: GraphQLClient) -> None:
    other = await models.User.create(name="Other rep", email="other@example.com", role=Role.SALES_REP)
    theirs = str(GlobalID("User", str(other.pk)))
    await upsert(gql, [customer(1, owner=theirs)])
    async with client_for(app, await make_key(Role.SALES_REP, email="rep@example.com")) as http:
        rep_gql = GraphQLClient(http)
        result = await upsert(rep_gql, [customer(1, name="Taken over", email=None), customer(2)])
        foreign = await upsert(rep_gql, [customer(3, owner=theirs)])
    errors = [[(e["field"], e["code"]) for e in r["errors"]] for r in result["results"] + foreign["results"]]
    assert errors == [[("items.0.externalId", "DUPLICATE")], [], [("items.0.owner", "FORBIDDEN")]]
    rep = await models.User.get(email="rep@example.com")
    assert (await models.Customer.get(external_id="ERP-2")).owner_id == rep.pk
    assert (await models.Customer.get(external_id="ERP-1")).name == "Customer 1"


async def test_unknown_owner_and_forbidden_role(app: Any, gql: GraphQLClient) -> None:
    result = await upsert(gql, [customer(1, owner=str(GlobalID("Customer", "1")))])
    assert [(e["field"], e["code"]) for e in result["results"][0]["errors"]] == [("items.0.owner", "NOT_FOUND")]
    async with client_for(app, await make_key(Role.MARKETER)) as http:
        refused = await upsert(GraphQLClient(http), [customer(1)])
    assert (refused["results"], [e["code"] for e in refused["errors"]]) == ([], ["FORBIDDEN"])
    assert await counts() == (0, 0, 0)


async def test_more_than_a_thousand_items_is_refused_whole(gql: GraphQLClient) -> None:
    result = await upsert(gql, [customer(n) for n in range(1_001)])
    assert result["results"] == []
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("items", "INVALID_ARGUMENT")]
    assert "at most 1,000 items, got 1,001" in result["errors"][0]["message"]
    assert await counts() == (0, 0, 0)


async def test_statement_count_does_not_grow_with_the_batch(gql: GraphQLClient, sql: StatementCounter) -> None:
    rep = await models.User.create(name="Rep", email="rep@example.com", role=Role.SALES_REP)
    owner = str(GlobalID("User", str(rep.pk)))

    async def statements(start: int, size: int) -> int:
        # A third unchanged, a third changed, a third new; all with the same owner.
        await upsert(gql, [customer(n, owner=owner) for n in range(start, start + 2 * size // 3)])
        items = [customer(n, owner=owner, name=f"New name {n}") for n in range(start + size // 3, start + size)]
        items += [customer(n, owner=owner) for n in range(start, start + size // 3)]
        sql.reset()
        result = await upsert(gql, items)
        assert Counter(verdicts(result)) == {"changed": size // 3, "created": size // 3, "same": size // 3}
        return sql.count

    small, large = await statements(0, 9), await statements(1_000, 300)
    # The API key, then: rows by key, 2 uniqueness checks, the owner, insert, new ids, update, audit, outbox.
    assert small == large == 10, sql.statements


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_identical_batches_write_once(gql: GraphQLClient) -> None:
    results = await asyncio.gather(*(upsert(gql, [customer(n) for n in range(50)]) for _ in range(5)))
    outcomes = [(tuple(e["code"] for e in r["errors"]), set(verdicts(r))) for r in results]
    assert [kinds for _, kinds in outcomes].count({"created"}) == 1
    # The others lost the insert race (CONFLICT), found the rows (same) or met them as DUPLICATEs; none wrote.
    for codes, kinds in outcomes:
        assert kinds == {"created"} or (codes, kinds) == (("CONFLICT",), set()) or kinds <= {"same", "rejected"}
    assert {e["code"] for r in results for item in r["results"] for e in item["errors"]} <= {"DUPLICATE"}
    assert await counts() == (50, 50, 50)


async def test_products_upsert(gql: GraphQLClient) -> None:
    item = {"externalId": "P-1", "sku": "CM-1", "name": "Machine", "category": "Coffee", "unitPrice": "10"}
    first = (await gql.data(PRODUCTS, {"input": {"items": [item]}}))["productsUpsert"]
    assert first["results"][0]["product"] == {"sku": "CM-1", "unitPrice": "10.00", "active": True}
    items = [
        {**item, "unitPrice": "10.00"},
        {**item, "externalId": "P-2", "sku": "cm-1"},
        {**item, "externalId": "P-3", "sku": "CM-3", "unitPrice": "-1"},
        {**item, "externalId": "P-4", "sku": "CM-4", "active": False},
    ]
    second = (await gql.data(PRODUCTS, {"input": {"items": items}}))["productsUpsert"]
    outcomes = [(r["created"], r["changed"], [(e["field"], e["code"]) for e in r["errors"]]) for r in second["results"]]
    assert outcomes == [
        (False, False, []),
        (False, False, [("items.1.sku", "DUPLICATE")]),
        (False, False, [("items.2.unitPrice", "OUT_OF_RANGE")]),
        (True, False, []),
    ]
    assert sorted(await models.Product.all().values_list("sku", "active")) == [("CM-1", True), ("CM-4", False)]
    assert await models.AuditEntry.filter(entity="Product").count() == 2


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([CSV_HEADER, *rows])


async def test_cli_import_writes_rejects_and_reruns_idempotently(app: Any, database_url: str, tmp_path: Path) -> None:
    importer = await models.User.create(name="Importer", email="importer@example.com", role=Role.ADMIN)
    rep = await models.User.create(name="Rep", email="rep@example.com", role=Role.SALES_REP)
    rows = [
        ["ERP-1", "Anna Weber", "anna@example.com", "030 1234567", "Berlin", "consumer", "REP@example.com"],
        ["ERP-2", "Bauer GmbH", "", "", "", "SMALL_BUSINESS", ""],
        ["ERP-3", "", "not-an-address", "", "", "consumer", ""],
        ["ERP-4", "Cafe Nord", "", "", "", "retail", "nobody@example.com"],
        ["ERP-5", "Stadt Köln", "", "", "", "public_sector", ""],
    ]
    source, rejects = tmp_path / "customers.csv", tmp_path / "rejects.csv"
    write_csv(source, rows)
    arguments = ["import", "customers", str(source), "--as", "importer@example.com", "--batch-size", "2"]

    first = run(*arguments, "--rejects", str(rejects), database_url=database_url)
    assert first.returncode == 1, first.stderr
    assert "3 created, 0 changed, 0 unchanged, 2 rejected (rejected rows in" in first.stdout
    assert "Importing" in first.stderr and "5/5" in first.stderr  # the progress bar
    rejected = list(csv.DictReader(rejects.read_text(encoding="utf-8").splitlines()))
    segment = "segment: 'retail' is not a segment; use one of consumer, small_business, enterprise, public_sector."
    owner = "owner_email: The owner must be an active sales rep or admin."
    assert [(row["external_id"], row["errors"]) for row in rejected] == [
        ("ERP-3", "name: Must not be empty.; email: 'not-an-address' is not a valid email address."),
        ("ERP-4", f"{segment}; {owner}"),
    ]
    anna = await models.Customer.get(external_id="ERP-1")
    assert (anna.phone, anna.owner_id, anna.segment) == ("+49301234567", rep.pk, models.Segment.CONSUMER)
    assert (await models.Customer.get(external_id="ERP-2")).segment == models.Segment.SMALL_BUSINESS
    assert {entry.actor for entry in await models.AuditEntry.all()} == {f"user:{importer.pk}"}

    rows[1][4] = "Hamburg"
    write_csv(source, rows)
    again = run(*arguments, database_url=database_url)
    assert "0 created, 1 changed, 2 unchanged, 2 rejected." in again.stdout
    assert (await models.Customer.get(external_id="ERP-2")).address == "Hamburg"
    assert await models.AuditEntry.all().count() == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cli_import_refuses_a_file_without_the_key_column(app: Any, database_url: str, tmp_path: Path) -> None:
    await models.User.create(name="Importer", email="importer@example.com", role=Role.ADMIN)
    source = tmp_path / "customers.csv"
    source.write_text("name,segment\nAnna,consumer\n", encoding="utf-8")
    result = run("import", "customers", str(source), "--as", "importer@example.com", database_url=database_url)
    assert (result.returncode, "lacks the column(s) external_id" in result.stderr) == (2, True)
    unknown = run("import", "customers", str(source), "--as", "nobody@example.com", database_url=database_url)
    assert (unknown.returncode, "No active user" in unknown.stderr) == (2, True)
    assert await models.Customer.all().count() == 0
