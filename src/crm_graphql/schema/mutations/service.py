"""Ticket and visit mutations: create (idempotent), update (optimistic, through the lifecycles), delete, restore."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql import models
from crm_graphql.context import Info
from crm_graphql.resolvers.writes import service as writes
from crm_graphql.schema.enums import TicketKind, TicketPriority, TicketStatus, VisitStatus
from crm_graphql.schema.mutations.payloads import UserError, attempt, given, row_id
from crm_graphql.schema.service import Ticket, Visit

UNSET: Any = strawberry.UNSET
REFERENCES = {"customer": ("customer_id", "Customer"), "assignee": ("assignee_id", "User"), "rep": ("rep_id", "User")}
IDEMPOTENCY = "Optional key: the same key and input again returns the first result."
VERSION = "The `version` you read; a newer one makes this a CONFLICT."


def _columns(data: Any) -> dict[str, Any]:
    """The fields given, by column, with the IDs of related rows turned into row ids."""
    values = given(data)
    for field, (column, type_name) in REFERENCES.items():
        if field in values:
            node_id = values.pop(field)
            values[column] = None if node_id is None else row_id(node_id, type_name, field)
    return values


@strawberry.input(description="A new ticket; it starts NEW, due by its priority's SLA.")
class TicketCreateInput:
    customer: relay.GlobalID = strawberry.field(description="ID of the customer who contacted us.")
    kind: TicketKind = strawberry.field(description="Consultation, feedback or complaint.")
    subject: str = strawberry.field(description="One-line summary (required, at most 200 characters).")
    description: str = strawberry.field(default="", description="The customer's request in full.")
    priority: TicketPriority = strawberry.field(
        default=TicketPriority.NORMAL, description="Urgency; sets the SLA deadline `dueAt`."
    )
    assignee: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="ID of the active support agent or admin working on it."
    )
    opened_at: datetime | None = strawberry.field(
        default=UNSET, description="When the customer contacted us, with a time zone (default: now; not in the future)."
    )
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Changes to a ticket: only the fields given change; null clears an optional one.")
class TicketUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The ticket to change.")
    version: int = strawberry.field(description=VERSION)
    status: TicketStatus | None = strawberry.field(
        default=UNSET, description="New state; sets `firstResponseAt` and `resolvedAt` as the lifecycle implies."
    )
    priority: TicketPriority | None = strawberry.field(
        default=UNSET, description="New urgency; moves `dueAt` while the ticket is unresolved."
    )
    assignee: relay.GlobalID | None = strawberry.field(default=UNSET, description="New assigned agent; null: nobody.")
    subject: str | None = strawberry.field(default=UNSET, description="New one-line summary.")
    description: str | None = strawberry.field(default=UNSET, description="New full request text.")
    satisfaction: int | None = strawberry.field(
        default=UNSET, description="The customer's rating, 1 to 5; only once the ticket is RESOLVED or CLOSED."
    )


@strawberry.input(description="A new visit; it starts PLANNED.")
class VisitCreateInput:
    customer: relay.GlobalID = strawberry.field(description="ID of the customer to visit (for reps: one of theirs).")
    rep: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="ID of the sales rep who visits (default for reps: themselves)."
    )
    scheduled_at: datetime = strawberry.field(description="When the visit starts: in the future, with a time zone.")
    duration_minutes: int = strawberry.field(default=60, description="Planned length in minutes (1 to 1440).")
    purpose: str = strawberry.field(description="Why the rep visits (required, at most 200 characters).")
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Changes to a visit: only the fields given change; null clears an optional one.")
class VisitUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The visit to change.")
    version: int = strawberry.field(description=VERSION)
    status: VisitStatus | None = strawberry.field(default=UNSET, description="New state; DONE needs outcome notes.")
    outcome_notes: str | None = strawberry.field(
        default=UNSET, description="What came of the visit; required for (and kept by) a DONE visit."
    )
    scheduled_at: datetime | None = strawberry.field(
        default=UNSET, description="New start, in the future; only while the visit is PLANNED."
    )
    duration_minutes: int | None = strawberry.field(
        default=UNSET, description="New planned length (1 to 1440 minutes); only while the visit is PLANNED."
    )
    purpose: str | None = strawberry.field(default=UNSET, description="New purpose.")


@strawberry.input(description="A ticket to delete (softly: it can be restored).")
class TicketDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The ticket to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted ticket to bring back.")
class TicketRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted ticket.")


@strawberry.input(description="A visit to delete (softly: it can be restored).")
class VisitDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The visit to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted visit to bring back.")
class VisitRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted visit.")


def _payload(name: str, field: str, node: Any) -> Any:
    namespace = {
        "__annotations__": {field: node | None, "errors": list[UserError]},
        field: strawberry.field(description=f"The {field} as written; null when there are errors."),
        "errors": strawberry.field(description="Why nothing was written; empty on success."),
    }
    mutation = name[0].lower() + name[1 : -len("Payload")]
    return strawberry.type(type(name, (), namespace), description=f"The result of {mutation}.")


TicketCreatePayload = _payload("TicketCreatePayload", "ticket", Ticket)
TicketUpdatePayload = _payload("TicketUpdatePayload", "ticket", Ticket)
TicketDeletePayload = _payload("TicketDeletePayload", "ticket", Ticket)
TicketRestorePayload = _payload("TicketRestorePayload", "ticket", Ticket)
VisitCreatePayload = _payload("VisitCreatePayload", "visit", Visit)
VisitUpdatePayload = _payload("VisitUpdatePayload", "visit", Visit)
VisitDeletePayload = _payload("VisitDeletePayload", "visit", Visit)
VisitRestorePayload = _payload("VisitRestorePayload", "visit", Visit)

TicketCreateArgument = Annotated[TicketCreateInput, strawberry.argument(description="The ticket to create.")]
TicketUpdateArgument = Annotated[TicketUpdateInput, strawberry.argument(description="The ticket and the changes.")]
TicketDeleteArgument = Annotated[TicketDeleteInput, strawberry.argument(description="The ticket to delete.")]
TicketRestoreArgument = Annotated[TicketRestoreInput, strawberry.argument(description="The ticket to restore.")]
VisitCreateArgument = Annotated[VisitCreateInput, strawberry.argument(description="The visit to create.")]
VisitUpdateArgument = Annotated[VisitUpdateInput, strawberry.argument(description="The visit and the changes.")]
VisitDeleteArgument = Annotated[VisitDeleteInput, strawberry.argument(description="The visit to delete.")]
VisitRestoreArgument = Annotated[VisitRestoreInput, strawberry.argument(description="The visit to restore.")]


@strawberry.type
class ServiceMutations:
    @strawberry.mutation(description="Open a ticket. Partners can pass `idempotencyKey` to retry safely.")
    async def ticket_create(self, info: Info, input: TicketCreateArgument) -> TicketCreatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_ticket(info.context.viewer, data, idempotency_key=key)
            return row

        ticket, errors = await attempt(run())
        return TicketCreatePayload(ticket=ticket, errors=errors)

    @strawberry.mutation(
        description="Change a ticket (optimistic locking with `version`); a status change also emits "
        "`ticket.status_changed`."
    )
    async def ticket_update(self, info: Info, input: TicketUpdateArgument) -> TicketUpdatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            pk, version = row_id(data.pop("id"), "Ticket"), data.pop("version")
            return await writes.update_ticket(info.context.viewer, pk, version, data)

        ticket, errors = await attempt(run())
        return TicketUpdatePayload(ticket=ticket, errors=errors)

    @strawberry.mutation(description="Delete a ticket (soft: it disappears from lists and can be restored).")
    async def ticket_delete(self, info: Info, input: TicketDeleteArgument) -> TicketDeletePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.delete_record(
                info.context.viewer, models.Ticket, row_id(input.id, "Ticket"), input.version
            )

        ticket, errors = await attempt(run())
        return TicketDeletePayload(ticket=ticket, errors=errors)

    @strawberry.mutation(description="Restore a deleted ticket.")
    async def ticket_restore(self, info: Info, input: TicketRestoreArgument) -> TicketRestorePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.restore_record(info.context.viewer, models.Ticket, row_id(input.id, "Ticket"))

        ticket, errors = await attempt(run())
        return TicketRestorePayload(ticket=ticket, errors=errors)

    @strawberry.mutation(description="Plan a visit. Partners can pass `idempotencyKey` to retry safely.")
    async def visit_create(self, info: Info, input: VisitCreateArgument) -> VisitCreatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_visit(info.context.viewer, data, idempotency_key=key)
            return row

        visit, errors = await attempt(run())
        return VisitCreatePayload(visit=visit, errors=errors)

    @strawberry.mutation(description="Change a visit: its status, outcome, time or purpose (optimistic locking).")
    async def visit_update(self, info: Info, input: VisitUpdateArgument) -> VisitUpdatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            pk, version = row_id(data.pop("id"), "Visit"), data.pop("version")
            return await writes.update_visit(info.context.viewer, pk, version, data)

        visit, errors = await attempt(run())
        return VisitUpdatePayload(visit=visit, errors=errors)

    @strawberry.mutation(description="Delete a visit (soft: it disappears from lists and can be restored).")
    async def visit_delete(self, info: Info, input: VisitDeleteArgument) -> VisitDeletePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.delete_record(
                info.context.viewer, models.Visit, row_id(input.id, "Visit"), input.version
            )

        visit, errors = await attempt(run())
        return VisitDeletePayload(visit=visit, errors=errors)

    @strawberry.mutation(description="Restore a deleted visit.")
    async def visit_restore(self, info: Info, input: VisitRestoreArgument) -> VisitRestorePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.restore_record(info.context.viewer, models.Visit, row_id(input.id, "Visit"))

        visit, errors = await attempt(run())
        return VisitRestorePayload(visit=visit, errors=errors)
