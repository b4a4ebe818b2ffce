"""A deterministic demo data set: ~18 months of CRM history up to a given day."""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm_graphql.models import (
    Campaign, CampaignMember, CampaignStatus, Channel, Customer, MemberStatus, Order, OrderLine, OrderStatus,
    Product, Role, Segment, Ticket, TicketKind, TicketPriority, TicketStatus, User, Visit, VisitStatus,
)

DEMO_EXTERNAL_PREFIX = "demo-"
HISTORY_DAYS = 548
CHUNK = 25  # customers written per round trip; also the step of `progress`
CENT = Decimal("0.01")

_USERS = (
    ("Dana Whitfield", Role.ADMIN), ("Jonas Becker", Role.SALES_REP), ("Laura Schmitt", Role.SALES_REP),
    ("Oliver Grant", Role.SALES_REP), ("Priya Nair", Role.SALES_REP), ("Marcus Reed", Role.SALES_REP),
    ("Sofia Lange", Role.SUPPORT_AGENT), ("Tom Hughes", Role.SUPPORT_AGENT), ("Aisha Khan", Role.SUPPORT_AGENT),
    ("Emma Roth", Role.MARKETER), ("Lucas Martin", Role.MARKETER), ("Pat Kowalski", Role.PARTNER),
)
# category: (list price range in EUR, relative demand, products)
_CATALOGUE: dict[str, tuple[tuple[int, int], float, tuple[str, ...]]] = {
    "Software": ((15, 400), 1.0, ("CRM Cloud Seat", "Analytics Add-on", "Mobile Sales App", "Workflow Automation",
                                  "Data Connector Pack", "Reporting Suite", "API Access Tier")),
    "Hardware": ((80, 1500), 0.6, ("Barcode Scanner", "Receipt Printer", "POS Terminal", "Rugged Tablet",
                                   "Label Printer", "Docking Station", "Card Reader")),
    "Services": ((500, 5000), 0.25, ("Onboarding Package", "Data Migration", "Custom Integration",
                                     "Consulting Day", "Health Check", "Process Workshop")),
    "Support Plans": ((100, 3000), 0.5, ("Basic Support (annual)", "Premium Support (annual)", "24/7 Support (annual)",
                                         "Extended Warranty", "On-site Support Visit", "Priority Hotline")),
    "Training": ((50, 1500), 0.4, ("Admin Training", "End-User Training", "Sales Playbook Course", "Webinar Seat",
                                   "Certification Exam", "Train-the-Trainer")),
    "Accessories": ((5, 120), 1.2, ("Charging Cradle", "Screen Protector (10-pack)", "Carry Case", "Spare Battery",
                                    "USB-C Cable Set", "Paper Rolls (50)", "Stylus Pen (3-pack)", "Wall Mount")),
}
_FIRST = ("Anna", "Ben", "Clara", "David", "Elif", "Felix", "Grace", "Hannah", "Isaac", "Julia", "Karim", "Lena",
          "Mia", "Noah", "Olivia", "Paul", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yusuf", "Zoe")
_LAST = ("Schmidt", "Fischer", "Weber", "Wagner", "Hoffmann", "Koch", "Richter", "Wolf", "Smith", "Jones",
         "Taylor", "Brown", "Evans", "Walker", "Wright", "Miller", "Davis", "Garcia", "Nguyen", "Clark", "Patel")
_WORDS = ("Nord", "Blue", "Summit", "Apex", "Alpen", "River", "Cedar", "Bright", "Iron", "Harbor", "Silver",
          "Pioneer", "Falcon", "Oak", "Granite", "Meridian")
_TRADES = ("Logistics", "Systems", "Foods", "Consulting", "Retail", "Engineering", "Media", "Health", "Energy",
           "Manufacturing", "Solutions", "Labs")


class _Country(NamedTuple):
    calling_code: str
    legal: tuple[str, str]  # company suffix: small business, enterprise
    public: tuple[str, ...]  # public-sector name patterns, filled with the city
    cities: tuple[tuple[str, str, str], ...]  # city, postcode prefix, area code
    streets: tuple[str, ...]
    address: str


_COUNTRIES = (
    _Country("+49", ("GmbH", "AG"), ("Stadt {}", "Stadtwerke {}", "Universität {}"),
             (("Berlin", "10", "30"), ("Hamburg", "20", "40"), ("München", "80", "89"), ("Köln", "50", "221"),
              ("Leipzig", "04", "341"), ("Stuttgart", "70", "711")),
             ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße"),
             "{street} {no}, {zip} {city}, Germany"),
    _Country("+44", ("Ltd", "plc"), ("{} City Council", "{} NHS Trust", "University of {}"),
             (("London", "SW", "20"), ("Manchester", "M", "161"), ("Leeds", "LS", "113"), ("Bristol", "BS", "117"),
              ("Edinburgh", "EH", "131"), ("Glasgow", "G", "141")),
             ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"),
             "{no} {street}, {city} {zip}, United Kingdom"),
    _Country("+1", ("LLC", "Inc."), ("City of {}", "{} School District", "{} County"),
             (("Austin, TX", "787", "512"), ("Chicago, IL", "606", "312"), ("Seattle, WA", "981", "206"),
              ("Boston, MA", "021", "617"), ("Denver, CO", "802", "303"), ("Atlanta, GA", "303", "404")),
             ("Main Street", "Oak Avenue", "Maple Drive", "Park Avenue", "Washington Street"),
             "{no} {street}, {city} {zip}, USA"),
)


class _Profile(NamedTuple):
    share: float
    orders_per_day: float  # mean of the gamma-distributed rate
    extra_units: float  # mean units per order line beyond the first
    discount: Decimal
    visit_every: int  # mean days between rep visits; 0 for none
    tickets_per_year: float


_SEGMENTS = {
    Segment.CONSUMER: _Profile(0.40, 0.024, 0.3, Decimal("0"), 0, 0.5),
    Segment.SMALL_BUSINESS: _Profile(0.35, 0.042, 3.0, Decimal("0.03"), 110, 1.5),
    Segment.ENTERPRISE: _Profile(0.15, 0.072, 15.0, Decimal("0.12"), 35, 1.5),
    Segment.PUBLIC_SECTOR: _Profile(0.10, 0.036, 6.0, Decimal("0.08"), 60, 1.5),
}
# Order intensity Monday..Sunday: businesses buy on weekdays, consumers more at weekends.
_WEEKDAYS = {True: (1.15, 1.25, 1.2, 1.15, 0.95, 0.2, 0.1), False: (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.25)}
_PURPOSES = ("Quarterly business review", "Product demo", "Contract renewal", "Onboarding check-in",
             "Needs analysis", "Upsell: analytics add-on", "Technical workshop", "Relationship visit")
_OUTCOMES = ("Customer happy; renewal expected next quarter.", "Requested a quote for additional seats.",
             "Demoed the reporting suite; follow-up booked.", "Raised concerns about delivery times; escalated.",
             "Agreed on a pilot with two departments.", "No immediate needs; check back in three months.",
             "Signed an order on site.", "Introduced a new procurement contact.")
_SUBJECTS = {
    TicketKind.CONSULTATION: ("How do I export reports to Excel?", "Question about user permissions",
                              "Help setting up the mobile app", "Which support plan fits us?",
                              "Integration with our ERP system", "Training options for new staff"),
    TicketKind.FEEDBACK: ("Great onboarding experience", "Suggestion: dark mode for the dashboard",
                          "Feedback on the new invoice layout", "Praise for the support team"),
    TicketKind.COMPLAINT: ("Delivery arrived damaged", "Invoice amount is wrong", "Scanner fails after update",
                           "Late delivery of order", "App crashes on login", "Charged twice for subscription"),
}
_KIND_WEIGHTS = {TicketKind.CONSULTATION: 0.45, TicketKind.FEEDBACK: 0.2, TicketKind.COMPLAINT: 0.35}
_PRIORITY_WEIGHTS = {  # low, normal, high, urgent
    TicketKind.CONSULTATION: (0.3, 0.55, 0.12, 0.03),
    TicketKind.FEEDBACK: (0.6, 0.35, 0.05, 0.0),
    TicketKind.COMPLAINT: (0.05, 0.35, 0.4, 0.2),
}
_SLA = {TicketPriority.LOW: timedelta(days=7), TicketPriority.NORMAL: timedelta(days=3),
        TicketPriority.HIGH: timedelta(days=1), TicketPriority.URGENT: timedelta(hours=4)}
_MOOD = {TicketKind.CONSULTATION: 4.2, TicketKind.FEEDBACK: 4.4, TicketKind.COMPLAINT: 3.0}


class _CampaignSpec(NamedTuple):
    name: str
    channel: Channel
    offset: int  # first day, relative to today
    days: int
    budget: int
    segments: tuple[Segment, ...]
    reach: float  # share of those segments' customers targeted


_ALL = tuple(Segment)
_B2B = (Segment.SMALL_BUSINESS, Segment.ENTERPRISE, Segment.PUBLIC_SECTOR)
_CAMPAIGNS = (
    _CampaignSpec("Customer Webinar Series", Channel.WEB, -500, 42, 12_000, _ALL, 0.30),
    _CampaignSpec("Hannover Trade Fair", Channel.EVENT, -420, 5, 45_000, _B2B, 0.25),
    _CampaignSpec("Upgrade Mailing", Channel.EMAIL, -330, 30, 6_000, _ALL, 0.50),
    _CampaignSpec("Catalogue Direct Mail", Channel.DIRECT_MAIL, -190, 35, 18_000, _ALL[:2], 0.35),
    _CampaignSpec("LinkedIn Awareness Push", Channel.SOCIAL, -45, 75, 15_000, _ALL, 0.25),
    _CampaignSpec("Renewal Call Drive", Channel.PHONE, 14, 28, 8_000, _B2B[:2], 0.30),
)


@dataclass(frozen=True)
class SeedSummary:
    """Rows of each kind in the demo data set, and whether this call created them."""

    users: int
    customers: int
    products: int
    orders: int
    order_lines: int
    visits: int
    tickets: int
    campaigns: int
    campaign_members: int
    created: bool


@dataclass
class _Row:
    """A row to insert; `refs` names each foreign key's parent by its external id."""

    fields: dict[str, Any]
    refs: dict[str, str | None] = field(default_factory=dict)
    lines: list[_Row] = field(default_factory=list)


@dataclass
class _Account:
    """A planned customer with everything that hangs off it."""

    row: _Row
    segment: Segment
    owner: str
    since: datetime
    until: int  # day index at which the customer stops ordering (churn)
    orders: list[_Row] = field(default_factory=list)
    visits: list[_Row] = field(default_factory=list)
    tickets: list[_Row] = field(default_factory=list)
    members: list[_Row] = field(default_factory=list)

    @property
    def ext(self) -> str:
        return str(self.row.fields["external_id"])


@dataclass(frozen=True)
class _World:
    """Shared context while planning: the random source, the clock and the catalogue."""

    rng: random.Random
    today: date
    anchor: datetime  # today at midnight UTC: history ends here, planned visits come after
    start: datetime  # first day of the history
    products: list[_Row]
    demand: list[tuple[float, float]]  # per product: base weight, yearly growth


async def seed_demo(
    customers: int = 300,
    *,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[int], object] | None = None,
) -> SeedSummary:
    """Load the demo data set unless demo customers exist already; all in one transaction.

    `progress` is called after each batch of customers is written (with all their orders, visits,
    tickets and campaign memberships), with the number of customers written so far.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    async with in_transaction():
        if await Customer.filter(external_id__startswith=DEMO_EXTERNAL_PREFIX).exists():
            return await _summary(created=False)
        world, users, campaigns, accounts = _plan(customers, random.Random(seed), today or datetime.now(UTC).date())
        ids: dict[str, int] = {}
        for model, rows in ((User, users), (Product, world.products), (Campaign, campaigns)):
            await _insert(model, rows, ids)
        for first in range(0, len(accounts), CHUNK):
            chunk = accounts[first : first + CHUNK]
            orders = [order for account in chunk for order in account.orders]
            await _insert(Customer, [account.row for account in chunk], ids)
            await _insert(Order, orders, ids)
            await _insert(OrderLine, [line for order in orders for line in order.lines], ids)
            await _insert(Visit, [visit for account in chunk for visit in account.visits], ids)
            await _insert(Ticket, [ticket for account in chunk for ticket in account.tickets], ids)
            await _insert(CampaignMember, [member for account in chunk for member in account.members], ids)
            if progress is not None:
                progress(first + len(chunk))
        return await _summary(created=True)


async def _insert(model: type[Model], rows: Sequence[_Row], ids: dict[str, int]) -> None:
    """Insert rows, then remember the database ids of those with an external id."""
    objects = [model(**row.fields, **{f"{k}_id": ids[v] for k, v in row.refs.items() if v}) for row in rows]
    await model.bulk_create(objects, batch_size=500)
    # bulk_create does not report generated ids, so read them back by external id.
    external = [row.fields["external_id"] for row in rows if "external_id" in row.fields]
    if external:
        ids.update(await model.filter(external_id__in=external).values_list("external_id", "id"))


async def _summary(*, created: bool) -> SeedSummary:
    demo = {"external_id__startswith": DEMO_EXTERNAL_PREFIX}
    return SeedSummary(
        users=await User.filter(**demo).count(),
        customers=await Customer.filter(**demo).count(),
        products=await Product.filter(**demo).count(),
        orders=await Order.filter(**demo).count(),
        order_lines=await OrderLine.filter(order__external_id__startswith=DEMO_EXTERNAL_PREFIX).count(),
        visits=await Visit.filter(**demo).count(),
        tickets=await Ticket.filter(**demo).count(),
        campaigns=await Campaign.filter(**demo).count(),
        campaign_members=await CampaignMember.filter(campaign__external_id__startswith=DEMO_EXTERNAL_PREFIX).count(),
        created=created,
    )


def _plan(customers: int, rng: random.Random, today: date) -> tuple[_World, list[_Row], list[_Row], list[_Account]]:
    """Every row of the data set, in memory, with parents referenced by external id."""
    anchor = datetime.combine(today, time(), UTC)
    start = anchor - timedelta(days=HISTORY_DAYS)
    world = _World(rng, today, anchor, start, *_products(rng, start))
    users = [_user(n, name, role, start) for n, (name, role) in enumerate(_USERS, 1)]
    reps = [str(u.fields["external_id"]) for u in users if u.fields["role"] is Role.SALES_REP]
    agents = [str(u.fields["external_id"]) for u in users if u.fields["role"] is Role.SUPPORT_AGENT]
    campaigns = [_campaign(world, n, spec) for n, spec in enumerate(_CAMPAIGNS, 1)]
    emails: set[str] = set()
    accounts = []
    for n in range(1, customers + 1):
        account = _customer(world, n, rng.choice(reps), emails)
        account.orders = _orders(world, account)
        for campaign, spec in zip(campaigns, _CAMPAIGNS, strict=True):
            _join(world, account, campaign, spec)
        account.visits = _visits(world, account)
        account.tickets = _tickets(world, account, agents)
        accounts.append(account)
    _number("order", [o for a in accounts for o in a.orders], "ordered_at")
    _number("visit", [v for a in accounts for v in a.visits], "scheduled_at")
    _number("ticket", [t for a in accounts for t in a.tickets], "opened_at")
    return world, users, campaigns, accounts


def _number(kind: str, rows: list[_Row], when: str) -> None:
    """Give rows chronological external ids, and point order lines at their order."""
    for n, row in enumerate(sorted(rows, key=lambda r: r.fields[when]), 1):
        row.fields["external_id"] = f"{DEMO_EXTERNAL_PREFIX}{kind}-{n}"
        for line in row.lines:
            line.refs["order"] = row.fields["external_id"]


def _user(n: int, name: str, role: Role, start: datetime) -> _Row:
    return _Row({"external_id": f"{DEMO_EXTERNAL_PREFIX}user-{n}", "name": name, "role": role,
                 "email": f"{_slug(name)}@example.com", "created_at": start - timedelta(days=60)})


def _products(rng: random.Random, start: datetime) -> tuple[list[_Row], list[tuple[float, float]]]:
    """The catalogue; two products are retired and stop selling in the last months."""
    items = [(category, name) for category, (_, _, names) in _CATALOGUE.items() for name in names]
    retired = set(rng.sample(range(1, len(items) + 1), 2))
    rows, demand = [], []
    for n, (category, name) in enumerate(items, 1):
        (low, high), weight, _ = _CATALOGUE[category]
        price = Decimal(f"{rng.randrange(low, high)}.{rng.choice(('00', '50', '90', '99'))}")
        sku = f"{category[:2].upper()}-{1000 + n}"
        rows.append(_Row({"external_id": f"{DEMO_EXTERNAL_PREFIX}product-{n}", "sku": sku, "name": name,
                          "category": category, "unit_price": price, "active": n not in retired,
                          "created_at": start - timedelta(days=60)}))
        demand.append((weight * rng.uniform(0.3, 1.0), rng.uniform(0.1, 1.2)))
    return rows, demand


def _campaign(world: _World, n: int, spec: _CampaignSpec) -> _Row:
    starts = world.today + timedelta(days=spec.offset)
    ends = starts + timedelta(days=spec.days - 1)
    status = (CampaignStatus.PLANNED if starts > world.today
              else CampaignStatus.COMPLETED if ends < world.today else CampaignStatus.ACTIVE)
    return _Row({"external_id": f"{DEMO_EXTERNAL_PREFIX}campaign-{n}", "name": spec.name, "channel": spec.channel,
                 "budget": Decimal(spec.budget).quantize(CENT), "starts_on": starts, "ends_on": ends, "status": status,
                 "created_at": min(datetime.combine(starts, time(), UTC), world.anchor) - timedelta(days=21)})


def _customer(world: _World, n: int, owner: str, emails: set[str]) -> _Account:
    rng = world.rng
    segment = rng.choices(list(_SEGMENTS), [profile.share for profile in _SEGMENTS.values()])[0]
    country = rng.choices(_COUNTRIES, (0.5, 0.3, 0.2))[0]
    city, postcode, area = rng.choice(country.cities)
    first, last, word = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_WORDS)
    if segment is Segment.CONSUMER:
        name, local, domain = f"{first} {last}", f"{first} {last}", "example.org"
    elif segment is Segment.PUBLIC_SECTOR:
        name = rng.choice(country.public).format(city.split(",")[0])
        local, domain = f"procurement {name}", "example.net"
    else:
        name = f"{rng.choice((last, word))} {rng.choice(_TRADES)} {country.legal[segment is Segment.ENTERPRISE]}"
        local, domain = f"{rng.choice(('info', 'orders', 'office'))} {name.rsplit(' ', 1)[0]}", "example.net"
    email = f"{_unique(_slug(local), emails)}@{domain}" if rng.random() > 0.08 else None
    street, number = rng.choice(country.streets), rng.randint(1, 180)
    address = country.address.format(street=street, no=number, zip=_postcode(rng, postcode), city=city)
    digits = 10 - len(area)  # all three countries use 10-digit national numbers
    phone = f"{country.calling_code}{area}{rng.randrange(10 ** (digits - 1), 10 ** digits)}"
    older = rng.random() < 0.6
    since = world.start + timedelta(days=rng.uniform(-1500, -30) if older else rng.uniform(0, HISTORY_DAYS - 1))
    until = rng.randint(HISTORY_DAYS // 3, HISTORY_DAYS) if rng.random() < 0.15 else HISTORY_DAYS
    row = _Row({"external_id": f"{DEMO_EXTERNAL_PREFIX}customer-{n}", "name": name, "email": email,
                "phone": phone if rng.random() > 0.12 else None, "address": address if rng.random() > 0.05 else None,
                "segment": segment, "created_at": _second(since)}, {"owner": owner})
    return _Account(row, segment, owner, since, until)


def _postcode(rng: random.Random, prefix: str) -> str:
    if prefix.isalpha():  # a British outward code
        return f"{prefix}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(5 - len(prefix)))


def _orders(world: _World, account: _Account) -> list[_Row]:
    """Daily draws from a gamma-distributed rate per customer, with a weekday profile and an upward trend."""
    rng = world.rng
    rate = rng.gammavariate(0.6, _SEGMENTS[account.segment].orders_per_day / 0.6)
    weekdays = _WEEKDAYS[account.segment is not Segment.CONSUMER]
    rows = []
    for d in range(max(0, (account.since - world.start).days + 1), account.until):
        day = world.start + timedelta(days=d)
        if rng.random() < rate * (0.7 + 0.6 * d / HISTORY_DAYS) * weekdays[day.weekday()]:
            rows.append(_order(world, account, day + timedelta(hours=rng.randint(7, 19), minutes=rng.randint(0, 59))))
    return rows


def _order(world: _World, account: _Account, at: datetime, campaign: str | None = None) -> _Row:
    """An order of 1-5 distinct products; each product's demand grows at its own pace."""
    rng, profile = world.rng, _SEGMENTS[account.segment]
    years = (at - world.start) / timedelta(days=365)
    weights = [0.0 if not p.fields["active"] and years > 1 else w * (1 + growth * years)
               for p, (w, growth) in zip(world.products, world.demand, strict=True)]
    picked = rng.choices(world.products, weights, k=rng.choices((1, 2, 3, 4, 5), (35, 25, 20, 12, 8))[0])
    lines = []
    for product in {p.fields["external_id"]: p for p in picked}.values():
        list_price = product.fields["unit_price"]
        # Bigger customers buy more units, but fewer of the expensive items.
        quantity = 1 + int(rng.expovariate(1 / (profile.extra_units * min(1.0, 250 / float(list_price)))))
        price = (list_price * (1 - profile.discount)).quantize(CENT, ROUND_HALF_UP)
        lines.append(_Row({"quantity": quantity, "unit_price": price, "line_total": price * quantity,
                           "created_at": at}, {"product": product.fields["external_id"]}))
    total = sum((line.fields["line_total"] for line in lines), Decimal("0.00"))
    return _Row({"status": _order_status(rng, (world.anchor - at).days), "ordered_at": at, "total": total,
                 "created_at": at}, {"customer": account.ext, "rep": account.owner, "campaign": campaign}, lines)


def _order_status(rng: random.Random, age_days: int) -> OrderStatus:
    if rng.random() < 0.04:
        return OrderStatus.CANCELLED
    if age_days < 3:
        return rng.choice((OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.CONFIRMED))
    if age_days < 10:
        return rng.choice((OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.SHIPPED))
    return rng.choice((OrderStatus.SHIPPED, OrderStatus.COMPLETED)) if age_days < 21 else OrderStatus.COMPLETED


def _join(world: _World, account: _Account, campaign: _Row, spec: _CampaignSpec) -> None:
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
        responded_at = _second(begin + (end - begin) * rng.random())
    elif status is MemberStatus.CONVERTED:
        in_window = (o for o in account.orders if begin <= o.fields["ordered_at"] < end and not o.refs["campaign"])
        order = next(in_window, None)
        if order is None:  # the campaign lifts sales: the conversion is an extra order
            order = _order(world, account, _second(begin + (end - begin) * rng.random()))
            account.orders.append(order)
        order.refs["campaign"] = c["external_id"]
        responded_at = _second(max(begin, order.fields["ordered_at"] - timedelta(hours=rng.uniform(0, 72))))
    created = max(c["created_at"], account.row.fields["created_at"])
    account.members.append(_Row({"status": status, "responded_at": responded_at, "created_at": created},
                                {"campaign": c["external_id"], "customer": account.ext}))


def _visits(world: _World, account: _Account) -> list[_Row]:
    """Visits by the owner rep every few weeks, and sometimes one planned in the next three weeks."""
    rng, every = world.rng, _SEGMENTS[account.segment].visit_every
    if not every:
        return []
    days = _arrivals(world, account, 1 / every)
    if rng.random() < 0.15:
        days.append(HISTORY_DAYS + rng.randint(1, 21))
    rows = []
    for day in days:
        at = (world.start + timedelta(days=int(day))).replace(hour=rng.randint(8, 16), minute=rng.choice((0, 30)))
        at += timedelta(days=7 - at.weekday() if at.weekday() >= 5 else 0)  # weekends move to Monday
        status = (VisitStatus.PLANNED if at >= world.anchor
                  else rng.choices((VisitStatus.DONE, VisitStatus.MISSED, VisitStatus.CANCELLED), (80, 8, 12))[0])
        rows.append(_Row({"scheduled_at": at, "duration_minutes": rng.choice((30, 45, 60, 60, 90, 120)),
                          "purpose": rng.choice(_PURPOSES), "status": status,
                          "outcome_notes": rng.choice(_OUTCOMES) if status is VisitStatus.DONE else None,
                          "created_at": min(at, world.anchor) - timedelta(days=rng.randint(2, 21))},
                         {"customer": account.ext, "rep": account.owner}))
    return rows


def _tickets(world: _World, account: _Account, agents: list[str]) -> list[_Row]:
    per_day = world.rng.gammavariate(1.2, _SEGMENTS[account.segment].tickets_per_year / 1.2) / 365
    return [_ticket(world, account, _second(world.start + timedelta(days=day)), agents)
            for day in _arrivals(world, account, per_day)]


def _ticket(world: _World, account: _Account, opened: datetime, agents: list[str]) -> _Row:
    """A ticket whose status is whatever its response and resolution times make it by today."""
    rng = world.rng
    kind = rng.choices(list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values()))[0]
    priority = rng.choices(list(TicketPriority), _PRIORITY_WEIGHTS[kind])[0]
    sla = _SLA[priority]
    responded: datetime | None = _second(opened + sla * rng.lognormvariate(math.log(0.2), 0.9))
    resolved: datetime | None = _second(responded + sla * rng.lognormvariate(math.log(0.5), 0.8))
    stuck = rng.random() < 0.03
    # The newest tickets often still wait in the queue.
    if responded >= world.anchor or (world.anchor - opened < timedelta(days=10) and rng.random() < 0.4):
        status, responded, resolved = TicketStatus.NEW, None, None
    elif resolved >= world.anchor or stuck:
        status, resolved = rng.choice((TicketStatus.OPEN, TicketStatus.OPEN, TicketStatus.PENDING)), None
    else:
        status = TicketStatus.CLOSED if resolved + timedelta(days=7) < world.anchor else TicketStatus.RESOLVED
    satisfaction = None
    if resolved is not None and rng.random() < 0.6:  # not every customer answers the survey
        mood = _MOOD[kind] - (1.2 if resolved > opened + sla else 0) + rng.gauss(0, 0.8)
        satisfaction = min(5, max(1, round(mood)))
    subject = rng.choice(_SUBJECTS[kind])
    via = rng.choice(("e-mail", "phone", "web form", "chat"))
    assignee = None if status is TicketStatus.NEW and rng.random() < 0.5 else rng.choice(agents)
    return _Row({"kind": kind, "subject": subject, "description": f"{subject} (reported via {via}).",
                 "status": status, "priority": priority, "opened_at": opened, "first_response_at": responded,
                 "resolved_at": resolved, "due_at": opened + sla, "satisfaction": satisfaction, "created_at": opened},
                {"customer": account.ext, "assignee": assignee})


def _arrivals(world: _World, account: _Account, per_day: float) -> list[float]:
    """Day offsets of a Poisson process from the customer's start until today."""
    days = []
    day = max(0, (account.since - world.start).days) + world.rng.expovariate(per_day)
    while day < HISTORY_DAYS:
        days.append(day)
        day += world.rng.expovariate(per_day)
    return days


def _second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by dots, for e-mail local parts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return ".".join("".join(ch if ch.isalnum() else " " for ch in ascii_text).split())


def _unique(local: str, taken: set[str]) -> str:
    candidate, n = local, 1
    while candidate in taken:
        n += 1
        candidate = f"{local}{n}"
    taken.add(candidate)
    return candidate
