"""Query cost: refuse, before touching the database, an operation that would fetch too much.

Every object costs 1 (connection, edge and page-info wrappers are free); what a connection's items
cost counts once per item its page may hold (`first`, `last`, or the default page size), so nested
connections multiply; reports cost a fixed amount.
The cost depends on variables, so it is checked per request, after validation (which is cached).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from crm_graphql.resolvers.pagination import DEFAULT_PAGE_SIZE

REPORT_COST = 1_000
REPORT_FIELDS = frozenset({"salesReport", "ticketStatistics", "campaignStatistics", "demandForecast"})


class QueryCost(SchemaExtension):
    """Rejects operations costing more than CRM_MAX_QUERY_COST with a QUERY_TOO_COSTLY error."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        if settings and not context.pre_execution_errors and context.graphql_document is not None:
            schema, limit = context.schema._schema, settings.max_query_cost
            cost = operation_cost(schema, context.graphql_document, context.operation_name, context.variables or {})
            if cost > limit:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"Query cost {cost:,} exceeds the limit of {limit:,}: "
                        "ask for fewer items per page or fewer nested lists.",
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": limit},
                    )
                ]
        yield


def operation_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> int:
    """The cost of the named (or only) operation of a validated document."""
    operation = _operation(document.definitions, operation_name)
    if operation is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(schema, fragments, variables)
    return walker.cost(operation.selection_set, schema.get_root_type(operation.operation))


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class _Walker:
    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                fragment = self.fragments[selection.name.value]
                total += self.cost(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        return total

    def _field(self, node: FieldNode, parent: Any) -> int:
        fields = getattr(parent, "fields", {})
        name = node.name.value
        if name not in fields:
            return 0  # __typename, or an interface field resolved on its implementations
        if name in REPORT_FIELDS:
            return REPORT_COST
        field_type = get_named_type(fields[name].type)
        if not hasattr(field_type, "fields"):
            return 0  # scalars and enums come with their object
        children = self.cost(node.selection_set, field_type)
        if field_type.name.endswith("Connection"):
            return self._page_size(node) * children
        if field_type.name.endswith("Edge") or field_type.name == "PageInfo":
            return children  # wrappers: the items they hold are what costs
        return 1 + children

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = value_from_ast_untyped(argument.value, self.variables)
                if isinstance(value, int):
                    return max(value, 1)
        return DEFAULT_PAGE_SIZE
