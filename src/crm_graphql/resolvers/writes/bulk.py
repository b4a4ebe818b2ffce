"""Bulk sync from partner systems: records upserted by their `external_id`, at most 1,000 per call.

Items are validated with the rules of the single mutations; a call's valid items are written in one transaction
with a fixed number of statements however many items there are: one query reads (and locks) the rows holding
the external IDs, one per unique column checks uniqueness, one statement each inserts the new rows, updates the
changed ones and adds their audit entries and outbox events. An item equal to its row writes nothing, so the
same sync run again changes nothing. Upserts carry no version: the last writer wins.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TextIO

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, Q, RawSQL, When
from tortoise.functions import Upper
from tortoise.transactions import in_transaction

from crm_graphql.models import AuditAction, AuditEntry, Customer, OutboxEvent, Role, Segment, User
from crm_graphql.resolvers.errors import Conflict, DomainError, Duplicate, InvalidArgument
from crm_graphql.resolvers.policy import Action, Entity, Viewer, require, row_scope
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import Problems, ValidationFailed, normalize_email, require_length
from crm_graphql.resolvers.writes.core import NOT_AUDITED, TYPE_NAMES, M, _event_name, plain
from crm_graphql.resolvers.writes.customers import _clean, _owner

MAX_ITEMS = 1_000

# Validates one item's fields (external_id left out) into `problems`; must not query the database.
Clean = Callable[[Mapping[str, Any], Problems, BaseDBAsyncClient], Awaitable[dict[str, Any]]]
# Checks the batch's references, a constant number of queries for the whole batch.
Check = Callable[[list["_Item"], BaseDBAsyncClient], Awaitable[None]]


@dataclass
class Outcome(Generic[M]):
    """What became of one item: its row as written (or found unchanged), or why it was rejected."""

    index: int
    external_id: str | None
    row: M | None = None
    created: bool = False
    changed: bool = False
    errors: list[DomainError] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "rejected" if self.errors else "created" if self.created else "changed" if self.changed else "unchanged"


@dataclass
class _Item:
    index: int
    key: str | None
    values: dict[str, Any]
    problems: Problems
    row: Any = None  # the live row holding `key` (after `_match`), or the new row (after `_write`)
    diff: dict[str, tuple[Any, Any]] | None = None  # what `_write` changed; None for a new row

    @property
    def ok(self) -> bool:
        return not self.problems.errors

    def outcome(self, external_id: str | None, written: bool) -> Outcome[Any]:
        if not (written and self.ok):
            return Outcome(self.index, external_id, errors=self.problems.errors)
        return Outcome(self.index, external_id, self.row, created=self.diff is None, changed=bool(self.diff))


async def upsert(
    viewer: Viewer,
    model: type[M],
    items: Sequence[Mapping[str, Any]],
    *,
    clean: Clean,
    unique: Mapping[str, str],
    check: Check | None = None,
    all_or_nothing: bool = False,
) -> list[Outcome[M]]:
    """Create or update a row of `model` per item, matched by external ID; `unique` maps columns to fields."""
    if len(items) > MAX_ITEMS:
        raise InvalidArgument("items", f"must hold at most {MAX_ITEMS:,} items, got {len(items):,}")
    try:
        async with in_transaction(PRIMARY) as conn:
            batch = [await _stage(model, index, data, clean, conn) for index, data in enumerate(items)]
            await _match(viewer, model, batch, conn)
            for column, name in {"external_id": "externalId", **unique}.items():
                await _unique(model, batch, column, name, conn)
            if check is not None:
                await check(batch, conn)
            if written := (not all_or_nothing or all(item.ok for item in batch)):
                await _write(viewer, model, [item for item in batch if item.ok], conn)
    except IntegrityError as exc:
        # A concurrent writer took one of the batch's unique values between our checks and our insert.
        raise Conflict("A concurrent write took one of these values; nothing was written: retry.", "items") from exc
    return [item.outcome(items[item.index].get("external_id"), written) for item in batch]


async def _stage(model: type[M], index: int, data: Mapping[str, Any], clean: Clean, conn: BaseDBAsyncClient) -> _Item:
    problems = Problems()
    key = problems.check(
        require_length, data.get("external_id") or "", field="externalId", model=model, column="external_id"
    )
    values = await clean({k: v for k, v in data.items() if k != "external_id"}, problems, conn)
    return _Item(index, key, {**values, "external_id": key}, problems)


async def _match(viewer: Viewer, model: type[M], batch: list[_Item], conn: BaseDBAsyncClient) -> None:
    """Each item's live row within the viewer's reach, locked. The WHERE is on external_id alone: with more
    conditions, PostgreSQL's generic plan over stale statistics may test every row against the whole list."""
    query, scope = model.filter(external_id__in=[item.key for item in batch if item.key]), row_scope(viewer, model)
    if scope.children or scope.filters:  # an empty Q: every row
        query = query.annotate(reachable=Case(When(scope, then=RawSQL("1")), default=RawSQL("0")))  # type: ignore[arg-type]
    rows: list[Any] = await query.select_for_update().using_db(conn)
    live = {row.external_id: row for row in rows if row.deleted_at is None and getattr(row, "reachable", True)}
    for item in batch:
        item.row = live.get(item.key)  # type: ignore[arg-type]


async def _unique(model: type[M], batch: list[_Item], column: str, name: str, conn: BaseDBAsyncClient) -> None:
    """DUPLICATE for a value (compared case-insensitively) that another row or an earlier item holds."""
    wanted = {item.values[column] for item in batch if item.values.get(column)}
    if not wanted:
        return
    exact: dict[str, Any] = {f"{column}__in": list(wanted)}
    rows = await (
        model.annotate(folded=Upper(column))
        .filter(Q(**exact) | Q(folded__in=[value.upper() for value in wanted]))
        .using_db(conn)
        .values_list("id", column, "deleted_at")
    )
    holders: dict[str, dict[int, bool]] = {}  # folded value: {row id: deleted}
    for pk, value, deleted_at in rows:
        holders.setdefault(value.upper(), {})[pk] = deleted_at is not None
    noun, first_of = TYPE_NAMES[model].lower(), dict[str, int]()
    for item in batch:
        if not (value := item.values.get(column)):
            continue
        first, own = first_of.setdefault(value.upper(), item.index), item.row.pk if item.row else None
        others = {pk: gone for pk, gone in holders.get(value.upper(), {}).items() if pk != own}
        if first != item.index:
            item.problems.add(Duplicate(f"Item {first} has the same {name}.", name))
        elif others and all(others.values()):
            item.problems.add(Duplicate(f"A deleted {noun} has this {name}: restore it first.", name))
        elif others:
            item.problems.add(Duplicate(f"Another {noun} already has this {name}.", name))


async def _write(viewer: Viewer, model: type[M], good: list[_Item], conn: BaseDBAsyncClient) -> None:
    """Insert the new rows and update the changed ones, with their audit entries and events."""
    new = [item for item in good if item.row is None]
    for item in good:
        if item.row is not None:
            item.diff = {k: (getattr(item.row, k), v) for k, v in item.values.items() if getattr(item.row, k) != v}
    changed = [item for item in good if item.diff]
    if new:
        await model.bulk_create([model(**item.values) for item in new], using_db=conn)
        inserted = await model.filter(external_id__in=[item.key for item in new]).using_db(conn)
        by_key = {row.external_id: row for row in inserted}  # type: ignore[attr-defined]
        for item in new:
            item.row = by_key[item.key]
    if changed:
        now = datetime.now(UTC)
        for item in changed:
            for column, (_, value) in item.diff.items():  # type: ignore[union-attr]
                setattr(item.row, column, value)
            item.row.version += 1
            item.row.updated_at = now
        columns = {column for item in changed for column in item.diff or ()} | {"version", "updated_at"}
        await model.bulk_update([item.row for item in changed], sorted(columns), using_db=conn)
    trail: list[tuple[Any, AuditAction, Any]] = [
        (item.row, AuditAction.CREATE, {k: (None, v) for k, v in item.values.items()}) for item in new
    ]
    trail += [(item.row, AuditAction.UPDATE, item.diff) for item in changed]
    if trail:
        await _record_all(viewer, model, trail, conn)


async def _record_all(
    viewer: Viewer, model: type[M], trail: list[tuple[Any, AuditAction, Any]], conn: BaseDBAsyncClient
) -> None:
    """The audit entries and outbox events `core` writes for single changes, in two statements."""
    entity, entries, events = TYPE_NAMES[model], [], []
    for row, action, changes in trail:
        diff = {name: [plain(old), plain(new)] for name, (old, new) in changes.items() if name not in NOT_AUDITED}
        entries.append(AuditEntry(entity=entity, entity_id=row.pk, action=action, actor=viewer.actor, changes=diff))
        payload = {"id": row.pk, "changes": diff, "actor": viewer.actor}
        name = _event_name(model, f"{action.value}d")
        events.append(OutboxEvent(name=name, entity=entity, entity_id=row.pk, payload=payload))
    await AuditEntry.bulk_create(entries, using_db=conn)
    await OutboxEvent.bulk_create(events, using_db=conn)


async def upsert_customers(
    viewer: Viewer | None, items: Sequence[Mapping[str, Any]], *, phone_region: str | None, all_or_nothing: bool = False
) -> list[Outcome[Customer]]:
    """Customers created or updated by external ID; for new ones, a sales rep is the default owner."""
    viewer = require(viewer, Entity.CUSTOMERS, Action.WRITE)
    clean, owners = _customer_fields(viewer, phone_region), _owners(viewer)
    return await upsert(
        viewer, Customer, items, clean=clean, unique={"email": "email"}, check=owners, all_or_nothing=all_or_nothing
    )


NO_QUERY_FIELDS = ("name", "phone", "address", "segment")  # those `_clean` checks without a query


def _customer_fields(viewer: Viewer, phone_region: str | None) -> Clean:
    async def clean(data: Mapping[str, Any], problems: Problems, conn: BaseDBAsyncClient) -> dict[str, Any]:
        given = {k: v for k, v in data.items() if k in NO_QUERY_FIELDS}
        if "segment" in given and given["segment"] not in set(Segment):
            segment = given.pop("segment")
            problems.add(ValidationFailed(f"{segment!r} is not a segment; use one of {', '.join(Segment)}.", "segment"))
        try:
            values = await _clean(viewer, given, conn, phone_region=phone_region)
        except DomainError as error:
            problems.add(error)
            values = {}
        if "email" in data:  # null clears it
            email = data["email"]
            values["email"] = email if email is None else problems.check(normalize_email, email, field="email")
        if "owner_id" in data:
            values["owner_id"] = data["owner_id"]  # checked for the whole batch by `_owners`
        return values

    return clean


def _owners(viewer: Viewer) -> Check:
    """The owner rules of customerCreate/customerUpdate: one query per distinct owner, not per item."""

    async def check(batch: list[_Item], conn: BaseDBAsyncClient) -> None:
        verdicts: dict[int | None, Problems] = {}
        for item in batch:
            if item.row is None and viewer.role is Role.SALES_REP:
                item.values.setdefault("owner_id", viewer.user_id)
            if "owner_id" not in item.values:
                continue
            owner = item.values["owner_id"]
            if owner not in verdicts:
                verdicts[owner] = Problems()
                await _owner(viewer, owner, verdicts[owner], conn)
            for error in verdicts[owner].errors:
                item.problems.add(error)

    return check


CSV_COLUMNS = ("external_id", "name", "email", "phone", "address", "segment", "owner_email")
CSV_REQUIRED = ("external_id", "name", "segment")
CSV_NAMES = {"externalId": "external_id", "owner": "owner_email"}  # error fields as CSV columns


async def import_customers(
    viewer: Viewer, source: TextIO, rejects: TextIO | None, *, batch_size: int, phone_region: str | None, progress: Any
) -> Counter[str]:
    """Upsert a CSV file's customers batch by batch: how many were created, changed, unchanged and rejected.

    Rejected rows go to `rejects` with an extra `errors` column; `progress(done, total)` follows the rows.
    An empty email, phone or address clears it; an empty owner_email keeps the owner (new customers get
    the default one). A column missing from the header is left as it is for every row.
    """
    if not 1 <= batch_size <= MAX_ITEMS:
        raise InvalidArgument("--batch-size", f"must be between 1 and {MAX_ITEMS:,}")
    reader = csv.DictReader(source)
    if missing := [column for column in CSV_REQUIRED if column not in (reader.fieldnames or ())]:
        raise DomainError(f"The CSV file lacks the column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}.")
    writer = csv.DictWriter(rejects, [*(reader.fieldnames or ()), "errors"]) if rejects else None
    if writer:
        writer.writeheader()
    summary, rows = Counter[str](), list(reader)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        outcomes = await upsert_customers(viewer, await _csv_items(batch), phone_region=phone_region)
        for row, outcome in zip(batch, outcomes, strict=True):
            if outcome.errors and writer:
                errors = (f"{CSV_NAMES.get(e.field or '', e.field or 'row')}: {e.message}" for e in outcome.errors)
                writer.writerow({**row, "errors": "; ".join(errors)})
            summary[outcome.verdict] += 1
        progress(start + len(batch), len(rows))
    return summary


async def _csv_items(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    emails = {row["owner_email"].strip().lower() for row in rows if (row.get("owner_email") or "").strip()}
    owners = dict(await User.filter(email__in=emails).values_list("email", "id")) if emails else {}
    items = []
    for row in rows:
        item: dict[str, Any] = {column: row[column] or "" for column in CSV_REQUIRED}  # empty: REQUIRED
        item.update({c: (row[c] or "").strip() or None for c in ("email", "phone", "address") if c in row})
        item["segment"] = item["segment"].strip().lower()
        if owner := (row.get("owner_email") or "").strip().lower():
            item["owner_id"] = owners.get(owner, 0)  # no user has id 0: an unknown e-mail is NOT_FOUND
        items.append(item)
    return items
