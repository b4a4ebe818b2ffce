"""The GraphQL schema, assembled from the domain modules."""

from __future__ import annotations

from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from crm_graphql.schema.cost import QueryCost
from crm_graphql.schema.errors import CRMSchema, mask_unexpected_errors
from crm_graphql.schema.introspection import IntrospectionSwitch
from crm_graphql.schema.mutations import Mutation
from crm_graphql.schema.observability import OperationMetrics
from crm_graphql.schema.queries import Query
from crm_graphql.schema.routing import ReplicaReads
from crm_graphql.schema.subscriptions import Subscription
from crm_graphql.schema.tracing import tracing_extension

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000

# The limiters' rules, made once: the limiters make new rule classes per instance, and those would
# miss the validation cache (keyed by the rules) on every request.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)

schema = CRMSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(relay_max_results=100),
    extensions=[
        OperationMetrics,  # first, so that it times the other extensions' work too
        tracing_extension,  # CRM_TRACING: next, so that its operation span covers the others' work
        lambda: AddValidationRules(list(LIMIT_RULES)),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        IntrospectionSwitch,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        QueryCost,  # after ValidationCache: it prices validated documents only
        ReplicaReads,
        mask_unexpected_errors,
    ],
)

__all__ = ["schema"]
