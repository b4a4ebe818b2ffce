"""Ticket and visit mutations through the HTTP API: lifecycles, side effects, validation, roles, audit, outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry.relay import GlobalID

from crm_graphql import models
from crm_graphql.models import Role, TicketStatus, VisitStatus
from tests.conftest import GraphQLClient, client_for, make_key

TICKET = "id kind subject description status priority openedAt firstResponseAt resolvedAt dueAt satisfaction"
VISIT = "id scheduledAt durationMinutes purpose status outcomeNotes externalId customer { name } rep { name }"
ERRORS = "errors { field code message }"


def mutation(name: str, fields: str) -> str:
    kind = name[0].upper() + name[1:]
    return f"mutation ($input: {kind}Input!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def pk_of(node_id: str) -> int:
    return int(GlobalID.from_id(node_id).node_id)


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def call(gql: GraphQLClient, name: str, fields: str, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql.data(mutation(name, fields), {"input": input}))[name]
    return result


async def counts() -> tuple[int, ...]:
    return tuple([await m.all().count() for m in (models.Ticket, models.Visit, models.AuditEntry, models.OutboxEvent)])


def problems(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


@pytest.fixture
async def customer(gql: GraphQLClient) -> models.Customer:
    return await models.Customer.create(name="Anna Weber", segment=models.Segment.CONSUMER)


async def new_ticket(gql: GraphQLClient, customer: models.Customer, /, **fields: Any) -> dict[str, Any]:
    inputs = {"customer": gid("Customer", customer.pk), "kind": "COMPLAINT", "subject": "Drill broken", **fields}
    return await call(gql, "ticketCreate", f"ticket {{ {TICKET} }}", **inputs)


async def edit_ticket(gql: GraphQLClient, ticket_id: str, **fields: Any) -> dict[str, Any]:
    version = (await models.Ticket.get(pk=pk_of(ticket_id))).version
    return await call(gql, "ticketUpdate", f"ticket {{ {TICKET} }}", id=ticket_id, **{"version": version, **fields})


async def new_visit(gql: GraphQLClient, customer: models.Customer, /, **fields: Any) -> dict[str, Any]:
    inputs = {"customer": gid("Customer", customer.pk), "scheduledAt": soon(days=2), "purpose": "Review", **fields}
    return await call(gql, "visitCreate", f"visit {{ {VISIT} }}", **inputs)


async def edit_visit(gql: GraphQLClient, visit_id: str, **fields: Any) -> dict[str, Any]:
    version = (await models.Visit.get(pk=pk_of(visit_id))).version
    return await call(gql, "visitUpdate", f"visit {{ {VISIT} }}", id=visit_id, **{"version": version, **fields})


async def sales_rep() -> models.User:
    return await models.User.create(name="Ana Rep", email="ana@example.com", role=Role.SALES_REP)


async def rep_id() -> str:
    return gid("User", (await sales_rep()).pk)


def failed(field: str, code: str, message: str, node: str) -> dict[str, Any]:
    """A payload that wrote nothing because of one error."""
    return {node: None, "errors": [{"field": field, "code": code, "message": message}]}


async def test_ticket_create_sets_the_sla_and_records_audit_and_event(
    gql: GraphQLClient, customer: models.Customer
) -> None:
    agent = await models.User.create(name="Sam Agent", email="sam@example.com", role=Role.SUPPORT_AGENT)
    opened = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    result = await new_ticket(
        gql, customer, priority="HIGH", openedAt="2026-03-02T11:00:00+01:00", assignee=gid("User", agent.pk)
    )
    assert result["errors"] == []
    ticket = result["ticket"]
    assert (ticket["status"], ticket["priority"], ticket["description"]) == ("NEW", "HIGH", "")
    assert (ticket["openedAt"], ticket["dueAt"]) == (opened.isoformat(), (opened + timedelta(days=1)).isoformat())
    row = await models.Ticket.get(pk=pk_of(ticket["id"]))
    assert (row.assignee_id, row.customer_id, row.first_response_at) == (agent.pk, customer.pk, None)
    audit = await models.AuditEntry.get(entity="Ticket", entity_id=row.pk)
    assert (audit.action, audit.changes["priority"]) == ("create", [None, "HIGH"])
    assert [e.name for e in await models.OutboxEvent.filter(entity="Ticket")] == ["ticket.created"]

    default = (await new_ticket(gql, customer))["ticket"]
    row = await models.Ticket.get(pk=pk_of(default["id"]))
    assert default["priority"] == "NORMAL"
    assert abs(row.opened_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert row.due_at == row.opened_at + timedelta(days=3)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"subject": "  "}, [("subject", "REQUIRED")]),
        ({"subject": "s" * 201}, [("subject", "TOO_LONG")]),
        ({"customer": gid("Customer", 999)}, [("customer", "NOT_FOUND")]),
        ({"customer": gid("User", 1)}, [("customer", "NOT_FOUND")]),
        ({"assignee": gid("User", 999)}, [("assignee", "NOT_FOUND")]),
        ({"openedAt": soon(hours=1)}, [("openedAt", "OUT_OF_RANGE")]),
        ({"openedAt": "2026-03-02T10:00:00"}, [("openedAt", "INVALID")]),
        ({"externalId": "e" * 101}, [("externalId", "TOO_LONG")]),
        (
            {"subject": "", "description": "\x00", "openedAt": soon(days=1)},
            [("subject", "REQUIRED"), ("description", "INVALID"), ("openedAt", "OUT_OF_RANGE")],
        ),
    ],
)
async def test_invalid_ticket_input_is_reported_field_by_field_and_writes_nothing(
    gql: GraphQLClient, customer: models.Customer, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await new_ticket(gql, customer, **fields)
    assert (result["ticket"], problems(result)) == (None, expected)
    assert await counts() == (0, 0, 0, 0)


async def test_assignee_must_be_an_active_agent_or_admin(gql: GraphQLClient, customer: models.Customer) -> None:
    rep = await sales_rep()
    gone = await models.User.create(name="Gone", email="gone@example.com", role=Role.SUPPORT_AGENT, active=False)
    for user in (rep, gone):
        result = await new_ticket(gql, customer, assignee=gid("User", user.pk))
        message = "The assignee must be an active user with the role SUPPORT_AGENT or ADMIN."
        assert result == failed("assignee", "NOT_FOUND", message, "ticket")
    ticket = (await new_ticket(gql, customer))["ticket"]
    assert problems(await edit_ticket(gql, ticket["id"], assignee=gid("User", rep.pk))) == [("assignee", "NOT_FOUND")]
    await customer.update_from_dict({"deleted_at": datetime.now(UTC)}).save()
    assert problems(await new_ticket(gql, customer)) == [("customer", "NOT_FOUND")]


async def test_duplicate_external_id_is_a_typed_error(gql: GraphQLClient, customer: models.Customer) -> None:
    await new_ticket(gql, customer, externalId="ZD-1")
    assert problems(await new_ticket(gql, customer, externalId="ZD-1")) == [("externalId", "DUPLICATE")]
    assert await models.Ticket.all().count() == 1


async def test_ticket_lifecycle_stamps_times_and_emits_status_changes(
    gql: GraphQLClient, customer: models.Customer
) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    opened = await edit_ticket(gql, ticket_id, status="OPEN")
    assert opened["errors"] == [] and opened["ticket"]["status"] == "OPEN"
    row = await models.Ticket.get(pk=pk_of(ticket_id))
    assert row.first_response_at is not None and row.resolved_at is None
    first_response = row.first_response_at
    resolved = await edit_ticket(gql, ticket_id, status="RESOLVED", satisfaction=4)
    assert (resolved["ticket"]["status"], resolved["ticket"]["satisfaction"]) == ("RESOLVED", 4)
    await row.refresh_from_db()
    assert row.resolved_at is not None and row.first_response_at == first_response
    reopened = await edit_ticket(gql, ticket_id, status="OPEN")
    assert (reopened["ticket"]["resolvedAt"], reopened["ticket"]["satisfaction"]) == (None, 4)
    events = await models.OutboxEvent.filter(name="ticket.status_changed").order_by("id")
    assert [(e.payload["from"], e.payload["to"], e.entity_id) for e in events] == [
        ("NEW", "OPEN", row.pk),
        ("OPEN", "RESOLVED", row.pk),
        ("RESOLVED", "OPEN", row.pk),
    ]
    assert await models.OutboxEvent.filter(name="ticket.updated").count() == 3
    assert await models.AuditEntry.filter(action="update").count() == 3
    await edit_ticket(gql, ticket_id, subject="Drill still broken")
    assert await models.OutboxEvent.filter(name="ticket.status_changed").count() == 3


async def test_priority_moves_the_deadline_until_resolution(gql: GraphQLClient, customer: models.Customer) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    urgent = (await edit_ticket(gql, ticket_id, priority="URGENT"))["ticket"]
    row = await models.Ticket.get(pk=pk_of(ticket_id))
    assert urgent["priority"] == "URGENT" and row.due_at == row.opened_at + timedelta(hours=4)
    await edit_ticket(gql, ticket_id, status="RESOLVED", priority="LOW")
    await row.refresh_from_db()
    assert row.priority == "low" and row.due_at == row.opened_at + timedelta(hours=4)


async def test_dismissing_a_new_ticket_clears_its_deadline(gql: GraphQLClient, customer: models.Customer) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    closed = (await edit_ticket(gql, ticket_id, status="CLOSED"))["ticket"]
    assert (closed["status"], closed["dueAt"], closed["firstResponseAt"]) == ("CLOSED", None, None)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (TicketStatus.OPEN, "NEW", "PENDING, RESOLVED"),
        (TicketStatus.OPEN, "CLOSED", "PENDING, RESOLVED"),
        (TicketStatus.PENDING, "CLOSED", "OPEN, RESOLVED"),
        (TicketStatus.RESOLVED, "PENDING", "OPEN, CLOSED"),
        (TicketStatus.CLOSED, "OPEN", "none"),
    ],
)
async def test_forbidden_ticket_moves_name_current_and_allowed_states(
    gql: GraphQLClient, customer: models.Customer, current: TicketStatus, target: str, allowed: str
) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    await models.Ticket.filter(pk=pk_of(ticket_id)).update(status=current)
    before = await counts()
    result = await edit_ticket(gql, ticket_id, status=target, subject="Changed")
    message = f"Cannot move a ticket from {current.name} to {target}; allowed from {current.name}: {allowed}."
    assert result == failed("status", "INVALID_TRANSITION", message, "ticket")
    assert await counts() == before
    assert (await models.Ticket.get(pk=pk_of(ticket_id))).subject == "Drill broken"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"satisfaction": 6}, [("satisfaction", "OUT_OF_RANGE")]),
        ({"satisfaction": 0, "status": "RESOLVED"}, [("satisfaction", "OUT_OF_RANGE")]),
        ({"satisfaction": 5}, [("satisfaction", "INVALID")]),
        (
            {"status": None, "priority": None, "subject": None},
            [("status", "REQUIRED"), ("priority", "REQUIRED"), ("subject", "REQUIRED")],
        ),
        ({"subject": "x" * 201, "status": "OPEN"}, [("subject", "TOO_LONG")]),
        ({"assignee": gid("Customer", 1)}, [("assignee", "NOT_FOUND")]),
    ],
)
async def test_invalid_ticket_changes_write_nothing(
    gql: GraphQLClient, customer: models.Customer, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    before = await counts()
    result = await edit_ticket(gql, ticket_id, **fields)
    assert (result["ticket"], problems(result)) == (None, expected)
    assert await counts() == before
    assert (await models.Ticket.get(pk=pk_of(ticket_id))).version == 1


async def test_stale_version_is_a_conflict_and_writes_nothing(gql: GraphQLClient, customer: models.Customer) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    await edit_ticket(gql, ticket_id, status="OPEN")
    before = await counts()
    stale = await call(gql, "ticketUpdate", "ticket { id }", id=ticket_id, version=1, status="PENDING")
    message = "Ticket changed since version 1 (now 2): read it again and retry."
    assert stale == failed("version", "CONFLICT", message, "ticket")
    assert await counts() == before
    visit_id = (await new_visit(gql, customer, rep=await rep_id()))["visit"]["id"]
    await edit_visit(gql, visit_id, purpose="Demo")
    stale = await call(gql, "visitUpdate", "visit { id }", id=visit_id, version=1, purpose="Stale")
    assert problems(stale) == [("version", "CONFLICT")]


async def test_idempotent_creates_replay_the_first_result(gql: GraphQLClient, customer: models.Customer) -> None:
    first = await new_ticket(gql, customer, idempotencyKey="t-1")
    assert (await new_ticket(gql, customer, idempotencyKey="t-1"))["ticket"]["id"] == first["ticket"]["id"]
    assert problems(await new_ticket(gql, customer, idempotencyKey="t-1", subject="Other")) == [
        ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    ]
    rep, scheduled = await rep_id(), soon(days=3)
    visit = await new_visit(gql, customer, rep=rep, scheduledAt=scheduled, idempotencyKey="v-1")
    replay = await new_visit(gql, customer, rep=rep, scheduledAt=scheduled, idempotencyKey="v-1")
    assert replay["visit"]["id"] == visit["visit"]["id"]
    assert await counts() == (1, 1, 2, 2)


async def test_delete_and_restore(gql: GraphQLClient, customer: models.Customer) -> None:
    for kind, node_id in (
        ("ticket", (await new_ticket(gql, customer))["ticket"]["id"]),
        ("visit", (await new_visit(gql, customer, rep=await rep_id()))["visit"]["id"]),
    ):
        deleted = await call(gql, f"{kind}Delete", f"{kind} {{ id }}", id=node_id, version=1)
        assert deleted == {kind: {"id": node_id}, "errors": []}
        assert (await gql.data(f"{{ {kind}s {{ totalCount }} }}"))[f"{kind}s"]["totalCount"] == 0
        again = await call(gql, f"{kind}Delete", f"{kind} {{ id }}", id=node_id, version=2)
        assert problems(again) == [("id", "NOT_FOUND")]
        assert (await call(gql, f"{kind}Restore", f"{kind} {{ id }}", id=node_id))["errors"] == []
        assert (await gql.data(f"{{ {kind}s {{ totalCount }} }}"))[f"{kind}s"]["totalCount"] == 1
    assert await models.AuditEntry.filter(action="update").count() == 4


async def test_visit_create_records_audit_and_event(gql: GraphQLClient, customer: models.Customer) -> None:
    rep = await sales_rep()
    scheduled = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    result = await new_visit(
        gql, customer, rep=gid("User", rep.pk), scheduledAt=scheduled.isoformat(), durationMinutes=90, externalId="V-1"
    )
    assert result["errors"] == []
    visit = result["visit"]
    assert (visit["status"], visit["durationMinutes"], visit["scheduledAt"]) == ("PLANNED", 90, scheduled.isoformat())
    assert (visit["customer"]["name"], visit["rep"]["name"], visit["outcomeNotes"]) == ("Anna Weber", "Ana Rep", None)
    row = await models.Visit.get(pk=pk_of(visit["id"]))
    assert (row.rep_id, row.scheduled_at, row.external_id) == (rep.pk, scheduled, "V-1")
    assert (await models.AuditEntry.get(entity="Visit")).changes["purpose"] == [None, "Review"]
    assert [e.name for e in await models.OutboxEvent.all()] == ["visit.created"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"scheduledAt": soon(minutes=-1)}, [("scheduledAt", "OUT_OF_RANGE")]),
        ({"scheduledAt": "2031-03-01T09:00:00"}, [("scheduledAt", "INVALID")]),
        ({"durationMinutes": 0}, [("durationMinutes", "OUT_OF_RANGE")]),
        ({"durationMinutes": 24 * 60 + 1}, [("durationMinutes", "OUT_OF_RANGE")]),
        ({"purpose": " "}, [("purpose", "REQUIRED")]),
        ({"purpose": "p" * 201, "externalId": "x" * 101}, [("purpose", "TOO_LONG"), ("externalId", "TOO_LONG")]),
        ({"rep": None}, [("rep", "REQUIRED")]),
        ({"customer": gid("Customer", 999)}, [("customer", "NOT_FOUND")]),
    ],
)
async def test_invalid_visit_input_is_reported_and_writes_nothing(
    gql: GraphQLClient, customer: models.Customer, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = await new_visit(gql, customer, **{"rep": await rep_id(), **fields})
    assert (result["visit"], problems(result)) == (None, expected)
    assert await counts() == (0, 0, 0, 0)


async def test_visit_rep_must_be_an_active_sales_rep_or_admin(gql: GraphQLClient, customer: models.Customer) -> None:
    agent = await models.User.create(name="Sam", email="sam@example.com", role=Role.SUPPORT_AGENT)
    result = await new_visit(gql, customer, rep=gid("User", agent.pk))
    message = "The rep must be an active user with the role SALES_REP or ADMIN."
    assert result == failed("rep", "NOT_FOUND", message, "visit")


async def test_visit_done_needs_outcome_notes(gql: GraphQLClient, customer: models.Customer) -> None:
    rep = await rep_id()
    first, second = [(await new_visit(gql, customer, rep=rep))["visit"]["id"] for _ in range(2)]
    before = await counts()
    for notes in ({}, {"outcomeNotes": "  "}):
        result = await edit_visit(gql, first, status="DONE", **notes)
        message = "Outcome notes are required to mark a visit DONE."
        assert result == failed("outcomeNotes", "REQUIRED", message, "visit")
    assert await counts() == before
    done = (await edit_visit(gql, first, status="DONE", outcomeNotes=" Signed the renewal. "))["visit"]
    assert (done["status"], done["outcomeNotes"]) == ("DONE", "Signed the renewal.")
    assert problems(await edit_visit(gql, first, outcomeNotes=None)) == [("outcomeNotes", "REQUIRED")]
    assert (await edit_visit(gql, first, outcomeNotes="Renewal signed."))["visit"]["outcomeNotes"] == "Renewal signed."
    await edit_visit(gql, second, outcomeNotes="Agenda: pricing")  # notes stored before the visit count
    assert (await edit_visit(gql, second, status="DONE"))["visit"]["status"] == "DONE"
    row = await models.Visit.get(pk=pk_of(second))
    assert (row.status, row.outcome_notes, row.version) == (VisitStatus.DONE, "Agenda: pricing", 3)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (VisitStatus.DONE, "PLANNED"),
        (VisitStatus.DONE, "MISSED"),
        (VisitStatus.CANCELLED, "DONE"),
        (VisitStatus.MISSED, "CANCELLED"),
    ],
)
async def test_forbidden_visit_moves_name_current_and_allowed_states(
    gql: GraphQLClient, customer: models.Customer, current: VisitStatus, target: str
) -> None:
    visit_id = (await new_visit(gql, customer, rep=await rep_id()))["visit"]["id"]
    await models.Visit.filter(pk=pk_of(visit_id)).update(status=current)
    before = await counts()
    result = await edit_visit(gql, visit_id, status=target, outcomeNotes="Notes")
    message = f"Cannot move a visit from {current.name} to {target}; allowed from {current.name}: none."
    assert result == failed("status", "INVALID_TRANSITION", message, "visit")
    assert await counts() == before


async def test_rescheduling_only_while_planned(gql: GraphQLClient, customer: models.Customer) -> None:
    visit_id = (await new_visit(gql, customer, rep=await rep_id()))["visit"]["id"]
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    moved = await edit_visit(gql, visit_id, scheduledAt=later.isoformat(), durationMinutes=30, purpose="Demo")
    assert (moved["visit"]["scheduledAt"], moved["visit"]["durationMinutes"]) == (later.isoformat(), 30)
    assert problems(await edit_visit(gql, visit_id, scheduledAt=soon(days=-1))) == [("scheduledAt", "OUT_OF_RANGE")]
    cancel = await edit_visit(gql, visit_id, status="CANCELLED", durationMinutes=45)
    message = "Only a PLANNED visit can be rescheduled, not a CANCELLED one."
    assert cancel == failed("durationMinutes", "INVALID", message, "visit")
    assert (await edit_visit(gql, visit_id, status="CANCELLED", durationMinutes=30))["visit"]["status"] == "CANCELLED"
    before = await counts()
    assert problems(await edit_visit(gql, visit_id, scheduledAt=soon(days=20))) == [("scheduledAt", "INVALID")]
    assert problems(await edit_visit(gql, visit_id, status=None, purpose="")) == [
        ("status", "REQUIRED"),
        ("purpose", "REQUIRED"),
    ]
    assert await counts() == before


async def test_roles(app: Any, customer: models.Customer) -> None:
    rep_key, agent_key, marketer_key = [
        await make_key(role) for role in (Role.SALES_REP, Role.SUPPORT_AGENT, Role.MARKETER)
    ]
    rep = await models.User.get(role=Role.SALES_REP)
    other = await sales_rep()
    theirs = await models.Customer.create(name="Theirs", segment=models.Segment.ENTERPRISE, owner=other)
    await customer.update_from_dict({"owner_id": rep.pk}).save()
    async with client_for(app, agent_key) as http:
        agent = GraphQLClient(http)
        ticket_id = (await new_ticket(agent, customer))["ticket"]["id"]
        assert (await edit_ticket(agent, ticket_id, status="OPEN"))["errors"] == []
        assert problems(await new_visit(agent, customer, rep=gid("User", rep.pk))) == [(None, "FORBIDDEN")]
    async with client_for(app, rep_key) as http:
        own = GraphQLClient(http)
        visit = await new_visit(own, customer)
        assert visit["visit"]["rep"]["name"] == "Test sales_rep"
        assert problems(await new_visit(own, theirs)) == [("customer", "NOT_FOUND")]
        assert problems(await new_visit(own, customer, rep=gid("User", other.pk))) == [("rep", "FORBIDDEN")]
        assert (await edit_visit(own, visit["visit"]["id"], status="MISSED"))["errors"] == []
        assert problems(await new_ticket(own, customer)) == [(None, "FORBIDDEN")]
        assert problems(await edit_ticket(own, ticket_id, status="PENDING")) == [(None, "FORBIDDEN")]
    async with client_for(app, marketer_key) as http:
        marketer = GraphQLClient(http)
        assert problems(await new_ticket(marketer, customer)) == [(None, "FORBIDDEN")]
        assert problems(await new_visit(marketer, customer, rep=gid("User", rep.pk))) == [(None, "FORBIDDEN")]
    assert await counts() == (1, 1, 4, 5)  # two creates, two updates; one status change event


async def test_reps_cannot_change_visits_of_other_reps_customers(
    app: Any, gql: GraphQLClient, customer: models.Customer
) -> None:
    visit_id = (await new_visit(gql, customer, rep=await rep_id()))["visit"]["id"]
    async with client_for(app, await make_key(Role.SALES_REP)) as http:
        rep = GraphQLClient(http)
        assert problems(await edit_visit(rep, visit_id, purpose="Mine now")) == [("id", "NOT_FOUND")]
        assert problems(await call(rep, "visitDelete", "visit { id }", id=visit_id, version=1)) == [("id", "NOT_FOUND")]
    assert (await models.Visit.get()).purpose == "Review"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_status_changes_one_wins(gql: GraphQLClient, customer: models.Customer) -> None:
    ticket_id = (await new_ticket(gql, customer))["ticket"]["id"]
    moves = [
        call(gql, "ticketUpdate", "ticket { id }", id=ticket_id, version=1, status=status)
        for status in ("OPEN", "PENDING", "RESOLVED", "CLOSED") * 5
    ]
    results = await asyncio.gather(*moves)
    assert sum(1 for r in results if r["errors"] == []) == 1
    assert await models.OutboxEvent.filter(name="ticket.status_changed").count() == 1
    assert (await models.Ticket.get()).version == 2
