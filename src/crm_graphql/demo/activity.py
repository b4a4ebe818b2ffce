"""What a planned customer does over the history: orders, campaign responses, rep visits and tickets."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crm_graphql.demo.rows import CENT, HISTORY_DAYS, Account, Row, World, second
from crm_graphql.demo.vocabulary import (
    KIND_WEIGHTS,
    MOOD,
    PRIORITY_WEIGHTS,
    SEGMENTS,
    SLA,
    TICKET_SUBJECTS,
    VISIT_OUTCOMES,
    VISIT_PURPOSES,
    WEEKDAYS,
    CampaignSpec,
)
from crm_graphql.models import (
    CampaignStatus,
    MemberStatus,
    OrderStatus,
    Segment,
    TicketPriority,
    TicketStatus,
    VisitStatus,
)


def orders(world: World, account: Account) -> list[Row]:
    """Daily draws from a gamma-distributed rate per customer, with a weekday profile and an upward trend."""
    rng = world.rng
    rate = rng.gammavariate(0.6, SEGMENTS[account.segment].orders_per_day / 0.6)
    weekdays = WEEKDAYS[account.segment is not Segment.CONSUMER]
    rows = []
    for d in range(max(0, (account.since - world.start).days + 1), account.until):
        day = world.start + timedelta(days=d)
        if rng.random() < rate * (0.7 + 0.6 * d / HISTORY_DAYS) * weekdays[day.weekday()]:
            rows.append(_order(world, account, day + timedelta(hours=rng.randint(7, 19), minutes=rng.randint(0, 59))))
    return rows


def _order(world: World, account: Account, at: datetime) -> Row:
    """An order of 1-5 distinct products; each product's demand grows at its own pace."""
    rng, profile = world.rng, SEGMENTS[account.segment]
    years = (at - world.start) / timedelta(days=365)
    weights = [
        0.0 if not p.fields["active"] and years > 1 else w * (1 + growth * years)
        for p, (w, growth) in zip(world.products, world.demand, strict=True)
    ]
    picked = rng.choices(world.products, weights, k=rng.choices((1, 2, 3, 4, 5), (35, 25, 20, 12, 8))[0])
    lines = []
    for product in {p.fields["external_id"]: p for p in picked}.values():
        list_price = product.fields["unit_price"]
        # Bigger customers buy more units, but fewer of the expensive items.
        quantity = 1 + int(rng.expovariate(1 / (profile.extra_units * min(1.0, 250 / float(list_price)))))
        price = (list_price * (1 - profile.discount)).quantize(CENT, ROUND_HALF_UP)
        lines.append(
            Row(
                {"quantity": quantity, "unit_price": price, "line_total": price * quantity, "created_at": at},
                {"product": product.fields["external_id"]},
            )
        )
    total = sum((line.fields["line_total"] for line in lines), Decimal("0.00"))
    return Row(
        {"status": _order_status(rng, (world.anchor - at).days), "ordered_at": at, "total": total, "created_at": at},
        {"customer": account.ext, "rep": account.owner, "campaign": None},
        lines,
    )


def _order_status(rng: random.Random, age_days: int) -> OrderStatus:
    if rng.random() < 0.04:
        return OrderStatus.CANCELLED
    if age_days < 3:
        return rng.choice((OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.CONFIRMED))
    if age_days < 10:
        return rng.choice((OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.SHIPPED))
    return rng.choice((OrderStatus.SHIPPED, OrderStatus.COMPLETED)) if age_days < 21 else OrderStatus.COMPLETED


def join(world: World, account: Account, campaign: Row, spec: CampaignSpec) -> None:
    """Maybe make the customer a member; a converted member's order in the campaign window is attributed."""
    rng, c = world.rng, campaign.fields
    if account.segment not in spec.segments or account.since.date() > c["starts_on"] or rng.random() >= spec.reach:
        return
    status, responded_at = MemberStatus.TARGETED, None
    begin = datetime.combine(c["starts_on"], time(), UTC)
    end = min(datetime.combine(c["ends_on"] + timedelta(days=1), time(), UTC), world.anchor)
    if c["status"] is not CampaignStatus.PLANNED:
        status = rng.choices(list(MemberStatus), (0.2, 0.6, 0.12, 0.08))[0]
    if status is MemberStatus.RESPONDED:
        responded_at = second(begin + (end - begin) * rng.random())
    elif status is MemberStatus.CONVERTED:
        in_window = (o for o in account.orders if begin <= o.fields["ordered_at"] < end and not o.refs["campaign"])
        order = next(in_window, None)
        if order is None:  # the campaign lifts sales: the conversion is an extra order
            order = _order(world, account, second(begin + (end - begin) * rng.random()))
            account.orders.append(order)
        order.refs["campaign"] = c["external_id"]
        responded_at = second(max(begin, order.fields["ordered_at"] - timedelta(hours=rng.uniform(0, 72))))
    created = max(c["created_at"], account.row.fields["created_at"])
    account.members.append(
        Row(
            {"status": status, "responded_at": responded_at, "created_at": created},
            {"campaign": c["external_id"], "customer": account.ext},
        )
    )


def visits(world: World, account: Account) -> list[Row]:
    """Visits by the owner rep every few weeks, and sometimes one planned in the next three weeks."""
    rng, every = world.rng, SEGMENTS[account.segment].visit_every
    if not every:
        return []
    days = _arrivals(world, account, 1 / every)
    if rng.random() < 0.15:
        days.append(HISTORY_DAYS + rng.randint(1, 21))
    rows = []
    for day in days:
        at = (world.start + timedelta(days=int(day))).replace(hour=rng.randint(8, 16), minute=rng.choice((0, 30)))
        at += timedelta(days=7 - at.weekday() if at.weekday() >= 5 else 0)  # weekends move to Monday
        status = (
            VisitStatus.PLANNED
            if at >= world.anchor
            else rng.choices((VisitStatus.DONE, VisitStatus.MISSED, VisitStatus.CANCELLED), (80, 8, 12))[0]
        )
        rows.append(
            Row(
                {
                    "scheduled_at": at,
                    "duration_minutes": rng.choice((30, 45, 60, 60, 90, 120)),
                    "purpose": rng.choice(VISIT_PURPOSES),
                    "status": status,
                    "outcome_notes": rng.choice(VISIT_OUTCOMES) if status is VisitStatus.DONE else None,
                    "created_at": min(at, world.anchor) - timedelta(days=rng.randint(2, 21)),
                },
                {"customer": account.ext, "rep": account.owner},
            )
        )
    return rows


def tickets(world: World, account: Account, agents: list[str]) -> list[Row]:
    """Tickets opened at random, at a rate drawn per customer around its segment's yearly mean."""
    per_day = world.rng.gammavariate(1.2, SEGMENTS[account.segment].tickets_per_year / 1.2) / 365
    return [
        _ticket(world, account, second(world.start + timedelta(days=day)), agents)
        for day in _arrivals(world, account, per_day)
    ]


def _ticket(world: World, account: Account, opened: datetime, agents: list[str]) -> Row:
    """A ticket whose status is whatever its response and resolution times make it by today."""
    rng = world.rng
    kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
    priority = rng.choices(list(TicketPriority), PRIORITY_WEIGHTS[kind])[0]
    sla = SLA[priority]
    responded = second(opened + sla * rng.lognormvariate(math.log(0.2), 0.9))
    resolved = second(responded + sla * rng.lognormvariate(math.log(0.5), 0.8))
    stuck = rng.random() < 0.03
    # The newest tickets often still wait in the queue.
    if responded >= world.anchor or (world.anchor - opened < timedelta(days=10) and rng.random() < 0.4):
        status = TicketStatus.NEW
    elif resolved >= world.anchor or stuck:
        status = rng.choice((TicketStatus.OPEN, TicketStatus.OPEN, TicketStatus.PENDING))
    else:
        status = TicketStatus.CLOSED if resolved + timedelta(days=7) < world.anchor else TicketStatus.RESOLVED
    done = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    satisfaction = None
    if done and rng.random() < 0.6:  # not every customer answers the survey
        mood = MOOD[kind] - (1.2 if resolved > opened + sla else 0) + rng.gauss(0, 0.8)
        satisfaction = min(5, max(1, round(mood)))
    subject = rng.choice(TICKET_SUBJECTS[kind])
    via = rng.choice(("e-mail", "phone", "web form", "chat"))
    assignee = None if status is TicketStatus.NEW and rng.random() < 0.5 else rng.choice(agents)
    return Row(
        {
            "kind": kind,
            "subject": subject,
            "description": f"{subject} (reported via {via}).",
            "status": status,
            "priority": priority,
            "opened_at": opened,
            "first_response_at": None if status is TicketStatus.NEW else responded,
            "resolved_at": resolved if done else None,
            "due_at": opened + sla,
            "satisfaction": satisfaction,
            "created_at": opened,
        },
        {"customer": account.ext, "assignee": assignee},
    )


def _arrivals(world: World, account: Account, per_day: float) -> list[float]:
    """Day offsets of a Poisson process from the customer's start until today."""
    days = []
    day = max(0, (account.since - world.start).days) + world.rng.expovariate(per_day)
    while day < HISTORY_DAYS:
        days.append(day)
        day += world.rng.expovariate(per_day)
    return days
