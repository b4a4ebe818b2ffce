"""The whole demo data set planned in memory: staff, catalogue, campaigns and customers with their history."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from crm_graphql.demo.activity import join, orders, tickets, visits
from crm_graphql.demo.rows import CENT, DEMO_EXTERNAL_PREFIX, HISTORY_DAYS, Account, Row, World, second
from crm_graphql.demo.vocabulary import (
    CAMPAIGNS,
    CATEGORIES,
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_SHARES,
    FIRST_NAMES,
    LAST_NAMES,
    PRODUCTS,
    SEGMENTS,
    TRADES,
    USERS,
    CampaignSpec,
)
from crm_graphql.models import CampaignStatus, Role, Segment


class Plan(NamedTuple):
    """Every row of the data set, with parents referenced by external id."""

    users: list[Row]
    products: list[Row]
    campaigns: list[Row]
    accounts: list[Account]


def plan(customers: int, rng: random.Random, today: date) -> Plan:
    """Plan the data set for `customers` customers and a history that ends at the start of `today`."""
    anchor = datetime.combine(today, time(), UTC)
    start = anchor - timedelta(days=HISTORY_DAYS)
    world = World(rng, today, anchor, start, *_products(rng, start))
    users = [_user(n, name, role, start) for n, (name, role) in enumerate(USERS, 1)]
    reps = [str(u.fields["external_id"]) for u in users if u.fields["role"] is Role.SALES_REP]
    agents = [str(u.fields["external_id"]) for u in users if u.fields["role"] is Role.SUPPORT_AGENT]
    campaigns = [_campaign(world, n, spec) for n, spec in enumerate(CAMPAIGNS, 1)]
    emails: set[str] = set()
    accounts = []
    for n in range(1, customers + 1):
        account = _customer(world, n, rng.choice(reps), emails)
        account.orders = orders(world, account)
        for campaign, spec in zip(campaigns, CAMPAIGNS, strict=True):
            join(world, account, campaign, spec)
        account.visits = visits(world, account)
        account.tickets = tickets(world, account, agents)
        accounts.append(account)
    _number("order", [o for a in accounts for o in a.orders], "ordered_at")
    _number("visit", [v for a in accounts for v in a.visits], "scheduled_at")
    _number("ticket", [t for a in accounts for t in a.tickets], "opened_at")
    return Plan(users, world.products, campaigns, accounts)


def _number(kind: str, rows: list[Row], when: str) -> None:
    """Give rows chronological external ids, and point order lines at their order."""
    for n, row in enumerate(sorted(rows, key=lambda r: r.fields[when]), 1):
        row.fields["external_id"] = f"{DEMO_EXTERNAL_PREFIX}{kind}-{n}"
        for line in row.lines:
            line.refs["order"] = row.fields["external_id"]


def _user(n: int, name: str, role: Role, start: datetime) -> Row:
    return Row(
        {
            "external_id": f"{DEMO_EXTERNAL_PREFIX}user-{n}",
            "name": name,
            "role": role,
            "email": f"{_slug(name)}@example.com",
            "created_at": start - timedelta(days=60),
        }
    )


def _products(rng: random.Random, start: datetime) -> tuple[list[Row], list[tuple[float, float]]]:
    """The catalogue; two products are retired and stop selling in the last months."""
    items = [(category, name) for category, names in PRODUCTS.items() for name in names]
    retired = set(rng.sample(range(1, len(items) + 1), 2))
    rows, demand = [], []
    for n, (category, name) in enumerate(items, 1):
        (low, high), weight = CATEGORIES[category]
        price = Decimal(f"{rng.randrange(low, high)}.{rng.choice(('00', '50', '90', '99'))}")
        rows.append(
            Row(
                {
                    "external_id": f"{DEMO_EXTERNAL_PREFIX}product-{n}",
                    "sku": f"{category[:2].upper()}-{1000 + n}",
                    "name": name,
                    "category": category,
                    "unit_price": price,
                    "active": n not in retired,
                    "created_at": start - timedelta(days=60),
                }
            )
        )
        demand.append((weight * rng.uniform(0.3, 1.0), rng.uniform(0.1, 1.2)))
    return rows, demand


def _campaign(world: World, n: int, spec: CampaignSpec) -> Row:
    starts = world.today + timedelta(days=spec.offset)
    ends = starts + timedelta(days=spec.days - 1)
    status = (
        CampaignStatus.PLANNED
        if starts > world.today
        else CampaignStatus.COMPLETED
        if ends < world.today
        else CampaignStatus.ACTIVE
    )
    return Row(
        {
            "external_id": f"{DEMO_EXTERNAL_PREFIX}campaign-{n}",
            "name": spec.name,
            "channel": spec.channel,
            "budget": Decimal(spec.budget).quantize(CENT),
            "starts_on": starts,
            "ends_on": ends,
            "status": status,
            "created_at": min(datetime.combine(starts, time(), UTC), world.anchor) - timedelta(days=21),
        }
    )


def _customer(world: World, n: int, owner: str, emails: set[str]) -> Account:
    """A customer of a random segment and country; `emails` holds the local parts taken so far."""
    rng = world.rng
    segment = rng.choices(list(SEGMENTS), [profile.share for profile in SEGMENTS.values()])[0]
    country = rng.choices(COUNTRIES, COUNTRY_SHARES)[0]
    city, postcode, area = rng.choice(country.cities)
    first, last, word = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(COMPANY_WORDS)
    if segment is Segment.CONSUMER:
        name, local, domain = f"{first} {last}", f"{first} {last}", "example.org"
    elif segment is Segment.PUBLIC_SECTOR:
        name = rng.choice(country.public).format(city.split(",")[0])
        local, domain = f"procurement {name}", "example.net"
    else:
        name = f"{rng.choice((last, word))} {rng.choice(TRADES)} {country.legal[segment is Segment.ENTERPRISE]}"
        local, domain = f"{rng.choice(('info', 'orders', 'office'))} {name.rsplit(' ', 1)[0]}", "example.net"
    email = f"{_unique(_slug(local), emails)}@{domain}" if rng.random() > 0.08 else None
    street, number = rng.choice(country.streets), rng.randint(1, 180)
    address = country.address.format(street=street, no=number, zip=_postcode(rng, postcode), city=city)
    digits = 10 - len(area)  # all three countries use 10-digit national numbers
    phone = f"{country.calling_code}{area}{rng.randrange(10 ** (digits - 1), 10**digits)}"
    older = rng.random() < 0.6
    since = world.start + timedelta(days=rng.uniform(-1500, -30) if older else rng.uniform(0, HISTORY_DAYS - 1))
    until = rng.randint(HISTORY_DAYS // 3, HISTORY_DAYS) if rng.random() < 0.15 else HISTORY_DAYS
    row = Row(
        {
            "external_id": f"{DEMO_EXTERNAL_PREFIX}customer-{n}",
            "name": name,
            "email": email,
            "phone": phone if rng.random() > 0.12 else None,
            "address": address if rng.random() > 0.05 else None,
            "segment": segment,
            "created_at": second(since),
        },
        {"owner": owner},
    )
    return Account(row, segment, owner, since, until)


def _postcode(rng: random.Random, prefix: str) -> str:
    if prefix.isalpha():  # a British outward code
        return f"{prefix}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(5 - len(prefix)))


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
