"""The audit trail of a record, exposed as its `history`: who changed which fields, when, from what to what."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from crm_graphql.context import Info
from crm_graphql.models import AuditAction, AuditEntry
from crm_graphql.resolvers.pagination import PageRequest, SortKey
from crm_graphql.resolvers.policy import PII_FIELDS
from crm_graphql.resolvers.writes.core import TYPE_NAMES
from crm_graphql.schema.connections import After, Before, Connection, First, Last
from crm_graphql.schema.errors import as_graphql_errors

NEWEST_FIRST = (SortKey("id", descending=True),)

strawberry.enum(AuditAction, name="AuditAction", description="What happened to the record.")


@strawberry.type(description="One field's value before and after a change (JSON text; null for no value).")
class FieldChange:
    field: str = strawberry.field(description="The field, as named in this API (e.g. `email`, `ownerId`).")
    old_value: str | None = strawberry.field(description="The value before, as JSON; null if there was none.")
    new_value: str | None = strawberry.field(description="The value after, as JSON; null if there is none.")
    redacted: bool = strawberry.field(description="True when the values are personal data you may not read.")


@strawberry.type(description="One change to a record.")
class HistoryEntry:
    row: strawberry.Private[AuditEntry]
    personal: strawberry.Private[frozenset[str]]

    @strawberry.field(description="When the change was made.")
    def at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Who made it: `user:<id>`, `key:<prefix>` (an API key) or `system`.")
    def actor(self) -> str:
        return self.row.actor

    @strawberry.field(description="Created, updated (including soft deletion and restoring), or deleted.")
    def action(self) -> AuditAction:
        return self.row.action

    @strawberry.field(description="The fields that changed.")
    def changes(self) -> list[FieldChange]:
        return [_change(field, values, field in self.personal) for field, values in sorted(self.row.changes.items())]


def _change(field: str, values: list[Any], redacted: bool) -> FieldChange:
    old, new = (None, None) if redacted else (_json(values[0]), _json(values[1]))
    return FieldChange(field=to_camel_case(field), old_value=old, new_value=new, redacted=redacted)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def history(model: type[Any]) -> Any:
    """The `history` connection of a type backed by `model`, newest change first."""
    entity = TYPE_NAMES[model]

    def resolve(
        root: Any, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[HistoryEntry]:
        viewer, loaders = info.context.viewer, info.context.loaders
        with as_graphql_errors():
            request = PageRequest.parse(
                AuditEntry,
                first=first,
                after=after,
                last=last,
                before=before,
                order=NEWEST_FIRST,
                max_page_size=info.context.settings.max_page_size,
            )
        personal = frozenset() if viewer and viewer.can_read_pii else PII_FIELDS.get(model, frozenset())

        return Connection(
            page_source=lambda: loaders.history_page(entity, request).load(root.pk),
            count_source=lambda: loaders.history_count(entity).load(root.pk),
            node=lambda row: HistoryEntry(row=row, personal=personal),
        )

    return strawberry.field(
        resolver=resolve,
        description="Every change to this record, newest first: who, when, and each field's old and new value.",
        graphql_type=Connection[HistoryEntry],
    )
