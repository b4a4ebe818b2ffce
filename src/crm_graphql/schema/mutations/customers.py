"""Customer mutations: create (idempotent), update (optimistic), delete and restore (soft)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers.writes import customers as writes
from crm_graphql.schema.customers import Customer
from crm_graphql.schema.enums import Segment
from crm_graphql.schema.mutations.payloads import attempt, given, payload, row_id

UNSET: Any = strawberry.UNSET


def _columns(data: Any) -> dict[str, Any]:
    values = given(data, {"owner": "owner_id"})
    if values.get("owner_id") is not None:
        values["owner_id"] = row_id(values["owner_id"], "User", "owner")
    return values


@strawberry.input(description="A new customer.")
class CustomerCreateInput:
    name: str = strawberry.field(description="Display name (required, at most 200 characters).")
    segment: Segment = strawberry.field(description="Market segment.")
    email: str | None = strawberry.field(default=UNSET, description="E-mail address, unique among customers.")
    phone: str | None = strawberry.field(
        default=UNSET, description="Phone number; stored in E.164 (national numbers use CRM_PHONE_REGION)."
    )
    address: str | None = strawberry.field(default=UNSET, description="Postal address on one line.")
    owner: relay.GlobalID | None = strawberry.field(
        default=UNSET, description="ID of the owning sales rep (default for reps: themselves)."
    )
    external_id: str | None = strawberry.field(default=UNSET, description="Identifier in a partner system (unique).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional key: the same key and input again returns the first result."
    )


@strawberry.input(description="Changes to a customer: only the fields given change; null clears an optional one.")
class CustomerUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The customer to change.")
    version: int = strawberry.field(description="The `version` you read; a newer one makes this a CONFLICT.")
    name: str | None = strawberry.field(default=UNSET, description="New display name.")
    segment: Segment | None = strawberry.field(default=UNSET, description="New market segment.")
    email: str | None = strawberry.field(default=UNSET, description="New e-mail address.")
    phone: str | None = strawberry.field(default=UNSET, description="New phone number.")
    address: str | None = strawberry.field(default=UNSET, description="New postal address.")
    owner: relay.GlobalID | None = strawberry.field(default=UNSET, description="New owning sales rep.")
    external_id: str | None = strawberry.field(default=UNSET, description="New partner identifier.")


@strawberry.input(description="A customer to delete (softly: it can be restored).")
class CustomerDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The customer to delete.")
    version: int = strawberry.field(description="The `version` you read.")


@strawberry.input(description="A deleted customer to bring back.")
class CustomerRestoreInput:
    id: relay.GlobalID = strawberry.field(description="The deleted customer.")


CustomerCreatePayload = payload("CustomerCreatePayload", "customer", Customer)
CustomerUpdatePayload = payload("CustomerUpdatePayload", "customer", Customer)
CustomerDeletePayload = payload("CustomerDeletePayload", "customer", Customer)
CustomerRestorePayload = payload("CustomerRestorePayload", "customer", Customer)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Create a customer. Partners can pass `idempotencyKey` to retry safely.")
    async def customer_create(
        self,
        info: Info,
        input: Annotated[CustomerCreateInput, strawberry.argument(description="The customer to create.")],
    ) -> CustomerCreatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            key = data.pop("idempotency_key", None)
            row, _ = await writes.create_customer(
                info.context.viewer, data, idempotency_key=key, phone_region=info.context.settings.phone_region
            )
            return row

        customer, errors = await attempt(run())
        return CustomerCreatePayload(customer=customer, errors=errors)

    @strawberry.mutation(description="Change a customer's fields (optimistic locking with `version`).")
    async def customer_update(
        self,
        info: Info,
        input: Annotated[CustomerUpdateInput, strawberry.argument(description="The customer and the changes.")],
    ) -> CustomerUpdatePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            data = _columns(input)
            pk, version = row_id(data.pop("id"), "Customer"), data.pop("version")
            region = info.context.settings.phone_region
            return await writes.update_customer(info.context.viewer, pk, version, data, phone_region=region)

        customer, errors = await attempt(run())
        return CustomerUpdatePayload(customer=customer, errors=errors)

    @strawberry.mutation(description="Delete a customer (soft: it disappears from lists and can be restored).")
    async def customer_delete(
        self,
        info: Info,
        input: Annotated[CustomerDeleteInput, strawberry.argument(description="The customer to delete.")],
    ) -> CustomerDeletePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.delete_customer(info.context.viewer, row_id(input.id, "Customer"), input.version)

        customer, errors = await attempt(run())
        return CustomerDeletePayload(customer=customer, errors=errors)

    @strawberry.mutation(description="Restore a deleted customer.")
    async def customer_restore(
        self,
        info: Info,
        input: Annotated[CustomerRestoreInput, strawberry.argument(description="The customer to restore.")],
    ) -> CustomerRestorePayload:  # type: ignore[valid-type]
        async def run() -> Any:
            return await writes.restore_customer(info.context.viewer, row_id(input.id, "Customer"))

        customer, errors = await attempt(run())
        return CustomerRestorePayload(customer=customer, errors=errors)
