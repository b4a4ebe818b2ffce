"""Creating, changing, deleting and restoring tickets and visits.

Decisions beyond the lifecycles in `workflows`:
- A ticket is rated (satisfaction) only once it is RESOLVED or CLOSED, counting a move in the same input;
  clearing the rating is always allowed. Reopening keeps it: it rated the earlier resolution.
- A priority change moves the SLA deadline according to the status the ticket ends in, so resolving and
  reprioritising in one input cannot rewrite the SLA outcome.
- `openedAt` may lie up to CLOCK_SKEW ahead of the server's clock (partners send their own time), no further.
- Visits are created PLANNED. Rescheduling (`scheduledAt`, `durationMinutes`) needs a visit that is PLANNED
  and stays PLANNED; resending the stored value is no change.
- A sales rep plans visits for themselves (rep FORBIDDEN otherwise) and for their own customers: another
  rep's customer is NOT_FOUND, as it is everywhere else for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql.models import Customer, Role, Ticket, TicketPriority, TicketStatus, User, Visit, VisitStatus
from crm_graphql.resolvers.errors import Duplicate, NotFound
from crm_graphql.resolvers.policy import Action, Entity, Forbidden, Viewer, require, scoped
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import (
    OutOfRange,
    Problems,
    Required,
    ValidationFailed,
    optional_length,
    planned_in_future,
    require_length,
    satisfaction,
)
from crm_graphql.resolvers.webhooks import record_event
from crm_graphql.resolvers.workflows import Changes, move_ticket, move_visit, reprioritize_ticket, sla_due_at
from crm_graphql.resolvers.writes.core import (
    M,
    create_row,
    delete_row,
    once,
    plain,
    restore_row,
    unique,
    update_row,
    writable,
)

ASSIGNEE_ROLES = (Role.SUPPORT_AGENT, Role.ADMIN)
REP_ROLES = (Role.SALES_REP, Role.ADMIN)
RATED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
MAX_VISIT_MINUTES = 24 * 60
CLOCK_SKEW = timedelta(minutes=5)
RESCHEDULING = {"scheduled_at": "scheduledAt", "duration_minutes": "durationMinutes"}


def _opened_at(value: datetime, *, field: str, now: datetime) -> datetime:
    """When a ticket was opened, in UTC: with a time zone and not in the future."""
    if value.utcoffset() is None:
        raise ValidationFailed("Must include a time zone offset, e.g. 2030-03-01T09:00:00+01:00.", field)
    if value > now + CLOCK_SKEW:
        raise OutOfRange(f"Must not be in the future, got {value.isoformat()}.", field)
    return value.astimezone(UTC)


def _duration(value: int, *, field: str) -> int:
    if not 1 <= value <= MAX_VISIT_MINUTES:
        raise OutOfRange(f"Must be between 1 and {MAX_VISIT_MINUTES} minutes, got {value}.", field)
    return value


def _present(data: Mapping[str, Any], fields: Mapping[str, str], problems: Problems) -> dict[str, Any]:
    """`data` without the non-nullable `fields` (column: GraphQL name) given as null, each one REQUIRED."""
    for column, field in fields.items():
        if column in data and data[column] is None:
            problems.add(Required("Must not be null.", field))
    return {column: value for column, value in data.items() if value is not None or column not in fields}


async def _customer(viewer: Viewer, pk: int, problems: Problems, conn: BaseDBAsyncClient) -> int:
    if not await scoped(viewer, Customer).filter(pk=pk).using_db(conn).exists():
        problems.add(NotFound("No Customer with this ID.", "customer"))
    return pk


async def _user(pk: int, roles: tuple[Role, ...], field: str, problems: Problems, conn: BaseDBAsyncClient) -> int:
    user = await User.filter(pk=pk, active=True, deleted_at__isnull=True).using_db(conn).first()
    if user is None or user.role not in roles:
        names = " or ".join(role.name for role in roles)
        problems.add(NotFound(f"The {field} must be an active user with the role {names}.", field))
    return pk


async def _external_id(
    model: type[Model], value: str | None, problems: Problems, conn: BaseDBAsyncClient
) -> str | None:
    external_id = problems.check(optional_length, value, field="externalId", model=model, column="external_id")
    if external_id and await model.filter(external_id=external_id).using_db(conn).exists():
        problems.add(Duplicate("Another record already has this externalId.", "externalId"))
    return external_id


async def _new_ticket(viewer: Viewer, data: Mapping[str, Any], conn: BaseDBAsyncClient) -> dict[str, Any]:
    problems, now = Problems(), datetime.now(UTC)
    priority = data.get("priority", TicketPriority.NORMAL)
    values: dict[str, Any] = {
        "customer_id": await _customer(viewer, data["customer_id"], problems, conn),
        "kind": data["kind"],
        "subject": problems.check(require_length, data["subject"], field="subject", model=Ticket, column="subject"),
        "description": problems.check(
            optional_length, data.get("description"), field="description", model=Ticket, column="description"
        )
        or "",
        "status": TicketStatus.NEW,
        "priority": priority,
    }
    if data.get("assignee_id") is not None:
        values["assignee_id"] = await _user(data["assignee_id"], ASSIGNEE_ROLES, "assignee", problems, conn)
    opened_at = problems.check(_opened_at, data.get("opened_at") or now, field="openedAt", now=now)
    values.update(opened_at=opened_at, due_at=opened_at and sla_due_at(priority, opened_at))
    if "external_id" in data:
        values["external_id"] = await _external_id(Ticket, data["external_id"], problems, conn)
    problems.raise_if_any()
    return values


async def _ticket_changes(row: Ticket, data: Mapping[str, Any], conn: BaseDBAsyncClient) -> Changes:
    problems = Problems()
    data = _present(data, {"status": "status", "priority": "priority", "subject": "subject"}, problems)
    values: Changes = {}
    if "status" in data:
        now = datetime.now(UTC)
        move = problems.check(move_ticket, row.status, data["status"], first_response_at=row.first_response_at, now=now)
        values.update(move or {})
    status = values.get("status", row.status)
    if "priority" in data:
        values.update(reprioritize_ticket(status, row.priority, data["priority"], opened_at=row.opened_at))
    if "subject" in data:
        values["subject"] = problems.check(
            require_length, data["subject"], field="subject", model=Ticket, column="subject"
        )
    if "description" in data:
        text = problems.check(
            optional_length, data["description"], field="description", model=Ticket, column="description"
        )
        values["description"] = text or ""
    if "assignee_id" in data:
        assignee = data["assignee_id"]
        if assignee is not None:
            await _user(assignee, ASSIGNEE_ROLES, "assignee", problems, conn)
        values["assignee_id"] = assignee
    if "satisfaction" in data:
        rating = data["satisfaction"]
        if rating is not None:
            rating = problems.check(satisfaction, rating, field="satisfaction")
        if rating is not None and status not in RATED_STATUSES:
            message = f"A ticket can be rated once it is RESOLVED or CLOSED; this one is {status.name}."
            problems.add(ValidationFailed(message, "satisfaction"))
        values["satisfaction"] = rating
    problems.raise_if_any()
    return values


async def create_ticket(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None
) -> tuple[Ticket, bool]:
    """A new ticket (NEW, due by its priority's SLA) and whether it was replayed."""
    viewer = require(viewer, Entity.TICKETS, Action.WRITE)

    async def create(conn: BaseDBAsyncClient) -> Ticket:
        values = await _new_ticket(viewer, data, conn)
        return await unique(
            create_row(viewer, Ticket, values, conn), "Another record already has this externalId.", "externalId"
        )

    return await once(viewer, idempotency_key, "ticketCreate", data, create, Ticket)


async def update_ticket(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> Ticket:
    """The ticket after the changes; a status change is also published as `ticket.status_changed`."""
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Ticket, pk, conn)
        before = row.status
        row = await update_row(viewer, row, await _ticket_changes(row, data, conn), version, conn)
        if row.status != before:
            payload = {"id": row.pk, "from": plain(before), "to": plain(row.status), "actor": viewer.actor}
            await record_event("ticket.status_changed", "Ticket", row.pk, payload, using_db=conn)
        return row


async def _new_visit(viewer: Viewer, data: Mapping[str, Any], conn: BaseDBAsyncClient) -> dict[str, Any]:
    problems, rep_id = Problems(), data.get("rep_id")
    if rep_id is None:
        problems.add(Required("Name the sales rep who visits.", "rep"))
    elif viewer.role is Role.SALES_REP and rep_id != viewer.user_id:
        problems.add(Forbidden("Sales reps can only plan visits of their own.", "rep"))
    else:
        await _user(rep_id, REP_ROLES, "rep", problems, conn)
    now = datetime.now(UTC)
    values = {
        "customer_id": await _customer(viewer, data["customer_id"], problems, conn),
        "rep_id": rep_id,
        "status": VisitStatus.PLANNED,
        "scheduled_at": problems.check(planned_in_future, data["scheduled_at"], field="scheduledAt", now=now),
        "duration_minutes": problems.check(_duration, data.get("duration_minutes", 60), field="durationMinutes"),
        "purpose": problems.check(require_length, data["purpose"], field="purpose", model=Visit, column="purpose"),
    }
    if "external_id" in data:
        values["external_id"] = await _external_id(Visit, data["external_id"], problems, conn)
    problems.raise_if_any()
    return values


def _visit_status(row: Visit, data: Mapping[str, Any], problems: Problems) -> Changes:
    """The status move and outcome notes; a DONE visit must have (and keep) notes."""
    target = data.get("status", row.status)
    if target != row.status:
        notes = data.get("outcome_notes", row.outcome_notes)
        changes = problems.check(move_visit, row.status, target, outcome_notes=notes) or {}
        if changes and "outcome_notes" in data:
            changes.setdefault("outcome_notes", None)  # blank notes given with the move clear the stored ones
        return changes
    if "outcome_notes" not in data:
        return {}
    notes = data["outcome_notes"]
    if row.status is VisitStatus.DONE and not (notes or "").strip():
        problems.add(Required("A DONE visit must keep its outcome notes.", "outcomeNotes"))
        return {}
    return {
        "outcome_notes": problems.check(
            optional_length, notes, field="outcomeNotes", model=Visit, column="outcome_notes"
        )
    }


def _visit_changes(row: Visit, data: Mapping[str, Any]) -> Changes:
    problems = Problems()
    data = _present(data, {"status": "status", "purpose": "purpose", **RESCHEDULING}, problems)
    values = _visit_status(row, data, problems)
    status = values.get("status", row.status)
    moved = [column for column in RESCHEDULING if column in data and data[column] != getattr(row, column)]
    for column in moved:
        if status is not VisitStatus.PLANNED:
            message = f"Only a PLANNED visit can be rescheduled, not a {status.name} one."
            problems.add(ValidationFailed(message, RESCHEDULING[column]))
        elif column == "scheduled_at":
            now = datetime.now(UTC)
            values[column] = problems.check(planned_in_future, data[column], field="scheduledAt", now=now)
        else:
            values[column] = problems.check(_duration, data[column], field="durationMinutes")
    if "purpose" in data:
        values["purpose"] = problems.check(
            require_length, data["purpose"], field="purpose", model=Visit, column="purpose"
        )
    problems.raise_if_any()
    return values


async def create_visit(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None
) -> tuple[Visit, bool]:
    """A new PLANNED visit (by the rep creating it, unless a rep is given) and whether it was replayed."""
    viewer = require(viewer, Entity.VISITS, Action.WRITE)
    if viewer.role is Role.SALES_REP and data.get("rep_id") is None:
        data = {**data, "rep_id": viewer.user_id}

    async def create(conn: BaseDBAsyncClient) -> Visit:
        values = await _new_visit(viewer, data, conn)
        return await unique(
            create_row(viewer, Visit, values, conn), "Another record already has this externalId.", "externalId"
        )

    return await once(viewer, idempotency_key, "visitCreate", data, create, Visit)


async def update_visit(viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any]) -> Visit:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Visit, pk, conn)
        return await update_row(viewer, row, _visit_changes(row, data), version, conn)


async def delete_record(viewer: Viewer | None, model: type[M], pk: int, version: int) -> M:
    """Soft-delete a ticket or visit."""
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, model, pk, conn)
        return await delete_row(viewer, row, version, conn)


async def restore_record(viewer: Viewer | None, model: type[M], pk: int) -> M:
    """Bring back a soft-deleted ticket or visit."""
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, model, pk, conn, deleted=True)
        return await restore_row(viewer, row, conn)
