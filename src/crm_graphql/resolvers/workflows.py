"""The lifecycles of tickets, orders, visits, campaigns and campaign members, and what each move changes.

Each lifecycle is one table of allowed moves. The `move_*` functions check a move and return the field
changes it implies, for the mutation to save; moving to the current status changes nothing.

Decisions beyond the plain chains:
- Ticket: NEW may go straight to PENDING (the first reply asks the customer a question), RESOLVED (solved
  on first contact) or CLOSED (dismissed unhandled: spam, duplicate, misdirected). Once an agent has worked a
  ticket it ends through RESOLVED, so every handled ticket has a resolution time: OPEN and PENDING cannot
  go to CLOSED. CLOSED is final; a follow-up is a new ticket.
- A dismissed ticket gets no first response and no SLA: its `due_at` is cleared, so it never counts as a breach.
- The SLA is a fixed deadline from `opened_at` in calendar hours; it does not pause while PENDING. A priority
  change moves it only while the ticket is unresolved, so a resolved ticket's SLA outcome cannot be rewritten.
- Campaign member: any forward move, skipping steps, since web and social campaigns reach members without
  recording a contact, and a purchase counts as a conversion whether or not a response was logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from crm_graphql.models import (
    CampaignStatus,
    MemberStatus,
    OrderStatus,
    TicketPriority,
    TicketStatus,
    Visit,
    VisitStatus,
)
from crm_graphql.resolvers.errors import DomainError
from crm_graphql.resolvers.validation import Required, optional_length

S = TypeVar("S", bound=StrEnum)

Changes = dict[str, Any]
"""Model field names mapped to their new values."""


@dataclass(frozen=True)
class Machine(Generic[S]):
    """The statuses of one kind of record and, for each, the statuses it may move to."""

    noun: str
    moves: Mapping[S, tuple[S, ...]]


TICKET = Machine(
    "ticket",
    {
        TicketStatus.NEW: (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED),
        TicketStatus.OPEN: (TicketStatus.PENDING, TicketStatus.RESOLVED),
        TicketStatus.PENDING: (TicketStatus.OPEN, TicketStatus.RESOLVED),
        TicketStatus.RESOLVED: (TicketStatus.OPEN, TicketStatus.CLOSED),
        TicketStatus.CLOSED: (),
    },
)

ORDER = Machine(
    "order",
    {
        OrderStatus.DRAFT: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
        OrderStatus.CONFIRMED: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
        OrderStatus.SHIPPED: (OrderStatus.COMPLETED,),
        OrderStatus.COMPLETED: (),
        OrderStatus.CANCELLED: (),
    },
)

VISIT = Machine(
    "visit",
    {
        VisitStatus.PLANNED: (VisitStatus.DONE, VisitStatus.CANCELLED, VisitStatus.MISSED),
        VisitStatus.DONE: (),
        VisitStatus.CANCELLED: (),
        VisitStatus.MISSED: (),
    },
)

CAMPAIGN = Machine(
    "campaign",
    {
        CampaignStatus.PLANNED: (CampaignStatus.ACTIVE, CampaignStatus.CANCELLED),
        CampaignStatus.ACTIVE: (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED),
        CampaignStatus.COMPLETED: (),
        CampaignStatus.CANCELLED: (),
    },
)

MEMBER = Machine(
    "campaign member",
    {
        MemberStatus.TARGETED: (MemberStatus.CONTACTED, MemberStatus.RESPONDED, MemberStatus.CONVERTED),
        MemberStatus.CONTACTED: (MemberStatus.RESPONDED, MemberStatus.CONVERTED),
        MemberStatus.RESPONDED: (MemberStatus.CONVERTED,),
        MemberStatus.CONVERTED: (),
    },
)

SLA: Mapping[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=4),
    TicketPriority.HIGH: timedelta(days=1),
    TicketPriority.NORMAL: timedelta(days=3),
    TicketPriority.LOW: timedelta(days=7),
}

UNRESOLVED_TICKET_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})


class InvalidTransition(DomainError):
    """A status change the record's lifecycle does not allow; `allowed` lists the possible targets."""

    code = "INVALID_TRANSITION"

    def __init__(self, machine: Machine[S], current: S, target: S) -> None:
        self.current, self.target = current, target
        allowed = allowed_targets(machine, current)
        self.allowed: list[StrEnum] = list(allowed)
        article = "an" if machine.noun[0] in "aeiou" else "a"
        names = ", ".join(status.name for status in allowed) or "none"
        super().__init__(
            f"Cannot move {article} {machine.noun} from {current.name} to {target.name}; "
            f"allowed from {current.name}: {names}.",
            field="status",
        )


def allowed_targets(machine: Machine[S], current: S) -> list[S]:
    """The statuses a record in `current` may move to, in the enum's order."""
    return list(machine.moves[current])


def _move(machine: Machine[S], current: S, target: S) -> Changes:
    if target == current:
        return {}
    if target not in machine.moves[current]:
        raise InvalidTransition(machine, current, target)
    return {"status": target}


def sla_due_at(priority: TicketPriority, opened_at: datetime) -> datetime:
    """When a ticket of this priority, opened at `opened_at`, must be resolved."""
    return opened_at + SLA[priority]


def move_ticket(
    current: TicketStatus, target: TicketStatus, *, first_response_at: datetime | None, now: datetime
) -> Changes:
    """Status, first response and resolution times after moving a ticket."""
    changes = _move(TICKET, current, target)
    if not changes:
        return changes
    if current == TicketStatus.NEW and target == TicketStatus.CLOSED:
        changes["due_at"] = None
    elif current == TicketStatus.NEW and first_response_at is None:
        changes["first_response_at"] = now
    if target == TicketStatus.RESOLVED:
        changes["resolved_at"] = now
    elif current == TicketStatus.RESOLVED and target == TicketStatus.OPEN:
        changes["resolved_at"] = None
    return changes


def reprioritize_ticket(
    status: TicketStatus, current: TicketPriority, target: TicketPriority, *, opened_at: datetime
) -> Changes:
    """Priority and, while the ticket is unresolved, the SLA deadline after a priority change."""
    if target == current:
        return {}
    changes: Changes = {"priority": target}
    if status in UNRESOLVED_TICKET_STATUSES:
        changes["due_at"] = sla_due_at(target, opened_at)
    return changes


def move_order(current: OrderStatus, target: OrderStatus) -> Changes:
    return _move(ORDER, current, target)


def move_campaign(current: CampaignStatus, target: CampaignStatus) -> Changes:
    return _move(CAMPAIGN, current, target)


def move_visit(
    current: VisitStatus, target: VisitStatus, *, outcome_notes: str | None, notes_field: str = "outcomeNotes"
) -> Changes:
    """Status and stripped outcome notes after moving a visit; DONE requires notes."""
    changes = _move(VISIT, current, target)
    if not changes:
        return changes
    notes = optional_length(outcome_notes, field=notes_field, model=Visit, column="outcome_notes")
    if target == VisitStatus.DONE and notes is None:
        raise Required("Outcome notes are required to mark a visit DONE.", notes_field)
    if notes is not None:
        changes["outcome_notes"] = notes
    return changes


def move_member(
    current: MemberStatus, target: MemberStatus, *, responded_at: datetime | None, now: datetime
) -> Changes:
    """Status and response time after moving a campaign member; converting implies having responded."""
    changes = _move(MEMBER, current, target)
    if responded_at is None and target in (MemberStatus.RESPONDED, MemberStatus.CONVERTED) and changes:
        changes["responded_at"] = now
    return changes
