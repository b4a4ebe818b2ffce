"""Read-only operations read from the read replica, when one is configured."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from crm_graphql.resolvers.routing import replica_reads


class ReplicaReads(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.QUERY and context.context.settings.read_replica_url:
            with replica_reads():
                yield
        else:
            yield
