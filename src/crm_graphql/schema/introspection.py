"""Introspection on or off per deployment (CRM_INTROSPECTION), with one schema for both."""

from __future__ import annotations

from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension


class IntrospectionSwitch(SchemaExtension):
    """Adds graphql-core's no-introspection rule when the settings turn introspection off."""

    def on_operation(self) -> Iterator[None]:
        settings = getattr(self.execution_context.context, "settings", None)
        if settings is not None and not settings.introspection:
            context = self.execution_context
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
