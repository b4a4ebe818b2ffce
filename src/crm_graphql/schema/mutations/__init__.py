"""The root Mutation type, merged from one mutations class per domain."""

from __future__ import annotations

from strawberry.tools import merge_types

from crm_graphql.schema.mutations.customers import CustomerMutations

Mutation = merge_types("Mutation", (CustomerMutations,))
Mutation.__strawberry_definition__.description = "Everything that changes the CRM; each mutation returns typed errors."

__all__ = ["Mutation"]
