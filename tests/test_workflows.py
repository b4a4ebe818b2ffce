"""The status lifecycles: every pair of statuses of every machine, and each move's side effects."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest

from crm_graphql.demo.vocabulary import SLA as DEMO_SLA
from crm_graphql.models import CampaignStatus, MemberStatus, OrderStatus, TicketPriority, TicketStatus, VisitStatus
from crm_graphql.resolvers.validation import Required
from crm_graphql.resolvers.workflows import (
    CAMPAIGN,
    MEMBER,
    ORDER,
    SLA,
    TICKET,
    VISIT,
    Changes,
    InvalidTransition,
    Machine,
    allowed_targets,
    move_campaign,
    move_member,
    move_order,
    move_ticket,
    move_visit,
    reprioritize_ticket,
    sla_due_at,
)

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
EARLIER = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

TS, OS, VS, CS, MS = TicketStatus, OrderStatus, VisitStatus, CampaignStatus, MemberStatus

# Written out pair by pair, independently of the tables in workflows.py.
EXPECTED: dict[str, set[tuple[Any, Any]]] = {
    "ticket": {
        (TS.NEW, TS.OPEN),
        (TS.NEW, TS.PENDING),
        (TS.NEW, TS.RESOLVED),
        (TS.NEW, TS.CLOSED),
        (TS.OPEN, TS.PENDING),
        (TS.OPEN, TS.RESOLVED),
        (TS.PENDING, TS.OPEN),
        (TS.PENDING, TS.RESOLVED),
        (TS.RESOLVED, TS.OPEN),
        (TS.RESOLVED, TS.CLOSED),
    },
    "order": {
        (OS.DRAFT, OS.CONFIRMED),
        (OS.DRAFT, OS.CANCELLED),
        (OS.CONFIRMED, OS.SHIPPED),
        (OS.CONFIRMED, OS.CANCELLED),
        (OS.SHIPPED, OS.COMPLETED),
    },
    "visit": {(VS.PLANNED, VS.DONE), (VS.PLANNED, VS.CANCELLED), (VS.PLANNED, VS.MISSED)},
    "campaign": {
        (CS.PLANNED, CS.ACTIVE),
        (CS.PLANNED, CS.CANCELLED),
        (CS.ACTIVE, CS.COMPLETED),
        (CS.ACTIVE, CS.CANCELLED),
    },
    "campaign member": {
        (MS.TARGETED, MS.CONTACTED),
        (MS.TARGETED, MS.RESPONDED),
        (MS.TARGETED, MS.CONVERTED),
        (MS.CONTACTED, MS.RESPONDED),
        (MS.CONTACTED, MS.CONVERTED),
        (MS.RESPONDED, MS.CONVERTED),
    },
}

MOVES: dict[str, tuple[Machine[Any], Callable[[Any, Any], Changes]]] = {
    "ticket": (TICKET, lambda a, b: move_ticket(a, b, first_response_at=None, now=NOW)),
    "order": (ORDER, move_order),
    "visit": (VISIT, lambda a, b: move_visit(a, b, outcome_notes="Signed the renewal.")),
    "campaign": (CAMPAIGN, move_campaign),
    "campaign member": (MEMBER, lambda a, b: move_member(a, b, responded_at=None, now=NOW)),
}
ENUMS: dict[str, type[StrEnum]] = {"ticket": TS, "order": OS, "visit": VS, "campaign": CS, "campaign member": MS}

ALL_PAIRS = [
    pytest.param(noun, current, target, id=f"{noun}-{current.name}-{target.name}")
    for noun, enum in ENUMS.items()
    for current, target in itertools.product(enum, enum)
]


@pytest.mark.parametrize(("noun", "current", "target"), ALL_PAIRS)
def test_every_pair_of_statuses(noun: str, current: StrEnum, target: StrEnum) -> None:
    machine, move = MOVES[noun]
    if current == target:
        assert move(current, target) == {}
    elif (current, target) in EXPECTED[noun]:
        assert move(current, target)["status"] is target
        assert target in allowed_targets(machine, current)
    else:
        with pytest.raises(InvalidTransition) as caught:
            move(current, target)
        error = caught.value
        assert (error.code, error.field) == ("INVALID_TRANSITION", "status")
        assert (error.current, error.target) == (current, target)
        assert f" {noun} from {current.name} to {target.name}; allowed from {current.name}: " in error.message
        assert target not in allowed_targets(machine, current)


@pytest.mark.parametrize("noun", ENUMS)
def test_allowed_targets_list_the_table_in_enum_order(noun: str) -> None:
    machine, enum = MOVES[noun][0], ENUMS[noun]
    assert set(machine.moves) == set(enum)
    for current in enum:
        expected = [target for target in enum if (current, target) in EXPECTED[noun]]
        assert allowed_targets(machine, current) == expected


def test_messages_use_the_graphql_names_and_the_right_article() -> None:
    with pytest.raises(InvalidTransition) as closed:
        move_ticket(TS.CLOSED, TS.OPEN, first_response_at=EARLIER, now=NOW)
    assert closed.value.message == "Cannot move a ticket from CLOSED to OPEN; allowed from CLOSED: none."
    assert closed.value.allowed == []
    with pytest.raises(InvalidTransition) as shipped:
        move_order(OS.SHIPPED, OS.CANCELLED)
    assert shipped.value.message == "Cannot move an order from SHIPPED to CANCELLED; allowed from SHIPPED: COMPLETED."
    with pytest.raises(InvalidTransition) as backwards:
        move_member(MS.CONVERTED, MS.CONTACTED, responded_at=None, now=NOW)
    assert backwards.value.message == (
        "Cannot move a campaign member from CONVERTED to CONTACTED; allowed from CONVERTED: none."
    )
    with pytest.raises(InvalidTransition) as skipped:
        move_ticket(TS.OPEN, TS.CLOSED, first_response_at=EARLIER, now=NOW)
    assert skipped.value.message == "Cannot move a ticket from OPEN to CLOSED; allowed from OPEN: PENDING, RESOLVED."


@pytest.mark.parametrize("target", [TS.OPEN, TS.PENDING, TS.RESOLVED])
def test_first_move_out_of_new_records_the_first_response(target: TicketStatus) -> None:
    changes = move_ticket(TS.NEW, target, first_response_at=None, now=NOW)
    assert changes["first_response_at"] == NOW
    assert "due_at" not in changes
    kept = move_ticket(TS.NEW, target, first_response_at=EARLIER, now=NOW)
    assert "first_response_at" not in kept


def test_dismissing_a_new_ticket_records_no_response_and_drops_the_sla() -> None:
    assert move_ticket(TS.NEW, TS.CLOSED, first_response_at=None, now=NOW) == {"status": TS.CLOSED, "due_at": None}


@pytest.mark.parametrize("current", [TS.NEW, TS.OPEN, TS.PENDING])
def test_resolving_stamps_the_resolution_time(current: TicketStatus) -> None:
    assert move_ticket(current, TS.RESOLVED, first_response_at=EARLIER, now=NOW) == {
        "status": TS.RESOLVED,
        "resolved_at": NOW,
    }


def test_reopening_clears_the_resolution_time() -> None:
    assert move_ticket(TS.RESOLVED, TS.OPEN, first_response_at=EARLIER, now=NOW) == {
        "status": TS.OPEN,
        "resolved_at": None,
    }


@pytest.mark.parametrize(
    ("current", "target"), [(TS.OPEN, TS.PENDING), (TS.PENDING, TS.OPEN), (TS.RESOLVED, TS.CLOSED)]
)
def test_other_ticket_moves_change_only_the_status(current: TicketStatus, target: TicketStatus) -> None:
    assert move_ticket(current, target, first_response_at=None, now=NOW) == {"status": target}


@pytest.mark.parametrize(
    ("priority", "hours"),
    [(TicketPriority.URGENT, 4), (TicketPriority.HIGH, 24), (TicketPriority.NORMAL, 72), (TicketPriority.LOW, 168)],
)
def test_sla_deadline_by_priority(priority: TicketPriority, hours: int) -> None:
    assert sla_due_at(priority, EARLIER) == EARLIER + timedelta(hours=hours)
    berlin = EARLIER.astimezone(timezone(timedelta(hours=1)))
    assert sla_due_at(priority, berlin) == EARLIER + timedelta(hours=hours)


def test_demo_data_uses_the_same_sla() -> None:
    assert dict(SLA) == DEMO_SLA


@pytest.mark.parametrize("status", [TS.NEW, TS.OPEN, TS.PENDING])
def test_priority_change_moves_the_deadline_of_an_unresolved_ticket(status: TicketStatus) -> None:
    assert reprioritize_ticket(status, TicketPriority.NORMAL, TicketPriority.URGENT, opened_at=EARLIER) == {
        "priority": TicketPriority.URGENT,
        "due_at": EARLIER + timedelta(hours=4),
    }


@pytest.mark.parametrize("status", [TS.RESOLVED, TS.CLOSED])
def test_priority_change_keeps_the_deadline_of_a_resolved_ticket(status: TicketStatus) -> None:
    changes = reprioritize_ticket(status, TicketPriority.HIGH, TicketPriority.LOW, opened_at=EARLIER)
    assert changes == {"priority": TicketPriority.LOW}


def test_same_priority_changes_nothing() -> None:
    assert reprioritize_ticket(TS.OPEN, TicketPriority.HIGH, TicketPriority.HIGH, opened_at=EARLIER) == {}


@pytest.mark.parametrize("notes", [None, "", "  \n\t "])
def test_a_visit_is_done_only_with_outcome_notes(notes: str | None) -> None:
    with pytest.raises(Required) as caught:
        move_visit(VS.PLANNED, VS.DONE, outcome_notes=notes)
    assert (caught.value.code, caught.value.field) == ("REQUIRED", "outcomeNotes")
    assert caught.value.message == "Outcome notes are required to mark a visit DONE."
    with pytest.raises(Required) as nested:
        move_visit(VS.PLANNED, VS.DONE, outcome_notes=notes, notes_field="visits.3.outcomeNotes")
    assert nested.value.field == "visits.3.outcomeNotes"


def test_outcome_notes_are_stripped_and_optional_for_other_outcomes() -> None:
    assert move_visit(VS.PLANNED, VS.DONE, outcome_notes="  Ordered 40 units. Größe: XL.\n") == {
        "status": VS.DONE,
        "outcome_notes": "Ordered 40 units. Größe: XL.",
    }
    assert move_visit(VS.PLANNED, VS.MISSED, outcome_notes=None) == {"status": VS.MISSED}
    assert move_visit(VS.PLANNED, VS.CANCELLED, outcome_notes=" Customer ill ") == {
        "status": VS.CANCELLED,
        "outcome_notes": "Customer ill",
    }


def test_visit_checks_the_move_before_the_notes() -> None:
    assert move_visit(VS.DONE, VS.DONE, outcome_notes=None) == {}
    with pytest.raises(InvalidTransition):
        move_visit(VS.CANCELLED, VS.DONE, outcome_notes=None)


@pytest.mark.parametrize("target", [MS.RESPONDED, MS.CONVERTED])
@pytest.mark.parametrize("current", [MS.TARGETED, MS.CONTACTED])
def test_responding_or_converting_records_the_response(current: MemberStatus, target: MemberStatus) -> None:
    assert move_member(current, target, responded_at=None, now=NOW) == {"status": target, "responded_at": NOW}
    assert move_member(current, target, responded_at=EARLIER, now=NOW) == {"status": target}


def test_contacting_records_no_response() -> None:
    assert move_member(MS.TARGETED, MS.CONTACTED, responded_at=None, now=NOW) == {"status": MS.CONTACTED}
    assert move_member(MS.RESPONDED, MS.CONVERTED, responded_at=EARLIER, now=NOW) == {"status": MS.CONVERTED}
    assert move_member(MS.RESPONDED, MS.RESPONDED, responded_at=None, now=NOW) == {}
