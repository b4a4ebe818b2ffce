"""The root Mutation type, merged from one mutations class per domain."""

from __future__ import annotations

from strawberry.tools import merge_types

from crm_graphql.schema.mutations.access import AccessMutations
from crm_graphql.schema.mutations.bulk import BulkMutations
from crm_graphql.schema.mutations.customers import CustomerMutations
from crm_graphql.schema.mutations.marketing import MarketingMutations
from crm_graphql.schema.mutations.orders import OrderMutations
from crm_graphql.schema.mutations.products import ProductMutations
from crm_graphql.schema.mutations.service import ServiceMutations

Mutation = merge_types(
    "Mutation",
    (
        CustomerMutations,
        OrderMutations,
        ServiceMutations,
        MarketingMutations,
        AccessMutations,
        ProductMutations,
        BulkMutations,
    ),
)
Mutation.__strawberry_definition__.description = "Everything that changes the CRM; each mutation returns typed errors."

__all__ = ["Mutation"]
