"""The GraphQL schema, assembled from the domain modules."""

from __future__ import annotations

from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig

from crm_graphql.schema.errors import CRMSchema, mask_unexpected_errors
from crm_graphql.schema.queries import Query

schema = CRMSchema(
    query=Query,
    config=StrawberryConfig(relay_max_results=100),
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        mask_unexpected_errors,
    ],
)

__all__ = ["schema"]
