"""Creating, changing, deleting and restoring customers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crm_graphql.models import Customer, Role, Segment, User
from crm_graphql.resolvers.errors import Duplicate, NotFound
from crm_graphql.resolvers.policy import Action, Entity, Forbidden, Viewer, require
from crm_graphql.resolvers.routing import PRIMARY
from crm_graphql.resolvers.validation import (
    Problems,
    Required,
    normalize_email,
    normalize_phone,
    optional_length,
    require_length,
)
from crm_graphql.resolvers.writes.core import (
    create_row,
    delete_row,
    once,
    restore_row,
    taken,
    unique,
    update_row,
    writable,
)

OWNER_ROLES = (Role.SALES_REP, Role.ADMIN)


async def _clean(
    viewer: Viewer, data: Mapping[str, Any], conn: BaseDBAsyncClient, *, phone_region: str | None, pk: int | None = None
) -> dict[str, Any]:
    """Validated, normalised column values for the fields given; every problem reported at once."""
    problems, values = Problems(), {}
    if "name" in data:
        name = data["name"] or ""  # an explicit null is as empty as ""
        values["name"] = problems.check(require_length, name, field="name", model=Customer, column="name")
    if "email" in data:
        email = data["email"]
        values["email"] = problems.check(normalize_email, email, field="email") if email else None
    if "phone" in data:
        phone = data["phone"]
        values["phone"] = (
            problems.check(normalize_phone, phone, field="phone", default_region=phone_region) if phone else None
        )
    if "address" in data:
        values["address"] = problems.check(
            optional_length, data["address"], field="address", model=Customer, column="address"
        )
    if "external_id" in data:
        values["external_id"] = problems.check(
            optional_length, data["external_id"], field="externalId", model=Customer, column="external_id"
        )
    if "segment" in data:
        if data["segment"] is None:
            problems.add(Required("Must not be null.", "segment"))
        else:
            values["segment"] = Segment(data["segment"])
    if "owner_id" in data:
        values["owner_id"] = await _owner(viewer, data["owner_id"], problems, conn)
    for column, field in (("email", "email"), ("external_id", "externalId")):
        if values.get(column) and await taken(Customer, column, values[column], conn, other_than=pk):
            problems.add(Duplicate(f"Another customer already has this {field}.", field))
    problems.raise_if_any()
    return values


async def _owner(viewer: Viewer, owner_id: int | None, problems: Problems, conn: BaseDBAsyncClient) -> int | None:
    if viewer.role is Role.SALES_REP and owner_id != viewer.user_id:
        problems.add(Forbidden("Sales reps can only own customers themselves.", "owner"))
        return None
    if owner_id is None:
        return None
    owner = await User.filter(pk=owner_id, active=True, deleted_at__isnull=True).using_db(conn).first()
    if owner is None or owner.role not in OWNER_ROLES:
        problems.add(NotFound("The owner must be an active sales rep or admin.", "owner"))
    return owner_id


async def create_customer(
    viewer: Viewer | None, data: Mapping[str, Any], *, idempotency_key: str | None, phone_region: str | None
) -> tuple[Customer, bool]:
    """A new customer (owned by the rep creating it, unless an owner is given) and whether it was replayed."""
    viewer = require(viewer, Entity.CUSTOMERS, Action.WRITE)
    if viewer.role is Role.SALES_REP:
        data = {"owner_id": viewer.user_id, **data}

    async def create(conn: BaseDBAsyncClient) -> Customer:
        values = await _clean(viewer, data, conn, phone_region=phone_region)
        return await unique(
            create_row(viewer, Customer, values, conn),
            "Another customer already has this e-mail or external ID.",
            "email",
        )

    return await once(viewer, idempotency_key, "customerCreate", data, create, Customer)


async def update_customer(
    viewer: Viewer | None, pk: int, version: int, data: Mapping[str, Any], *, phone_region: str | None
) -> Customer:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Customer, pk, conn)
        values = await _clean(viewer, data, conn, phone_region=phone_region, pk=pk)
        return await unique(
            update_row(viewer, row, values, version, conn),
            "Another customer already has this e-mail or external ID.",
            "email",
        )


async def delete_customer(viewer: Viewer | None, pk: int, version: int) -> Customer:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Customer, pk, conn)
        return await delete_row(viewer, row, version, conn)


async def restore_customer(viewer: Viewer | None, pk: int) -> Customer:
    async with in_transaction(PRIMARY) as conn:
        viewer, row = await writable(viewer, Customer, pk, conn, deleted=True)
        return await restore_row(viewer, row, conn)
