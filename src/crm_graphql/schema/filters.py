"""Filter and ordering inputs: the operators per value type, and their translation to plain specs.

Entity filters (`CustomerFilter`, …) live beside their types; they are built from the operator
inputs here and turned into the plain nested dicts that `resolvers.filters` compiles to SQL.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types.base import has_object_definition

from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.pagination import SortKey

OPERATORS: dict[str, tuple[str, str]] = {
    # python name: (GraphQL name, description)
    "eq": ("eq", "Equal to."),
    "ne": ("ne", "Not equal to (rows where the field is null do not match)."),
    "in_": ("in", "Equal to one of these values (at most 500)."),
    "not_in": ("notIn", "Equal to none of these values (at most 500)."),
    "lt": ("lt", "Less than."),
    "lte": ("lte", "Less than or equal to."),
    "gt": ("gt", "Greater than."),
    "gte": ("gte", "Greater than or equal to."),
    "contains": ("contains", "Contains this text, ignoring case."),
    "starts_with": ("startsWith", "Starts with this text, ignoring case."),
    "is_null": ("isNull", "True: the field has no value; false: it has one."),
}
EQUALITY = ("eq", "ne", "in_", "not_in")
RANGE = (*EQUALITY, "lt", "lte", "gt", "gte")


def operator_filter(name: str, value_type: Any, operators: tuple[str, ...], description: str) -> Any:
    """An input type with one optional field per operator, all applying to one value type."""
    namespace: dict[str, Any] = {"__annotations__": {}}
    for operator in operators:
        graphql_name, doc = OPERATORS[operator]
        operand = list[value_type] if operator in ("in_", "not_in") else bool if operator == "is_null" else value_type
        namespace["__annotations__"][operator] = operand | None
        namespace[operator] = strawberry.field(name=graphql_name, description=doc, default=strawberry.UNSET)
    return strawberry.input(type(name, (), namespace), name=name, description=description)


TEXT = (*EQUALITY, "contains", "starts_with")
StringFilter = operator_filter("StringFilter", str, TEXT, "Conditions on a text field.")
NullableStringFilter = operator_filter(
    "NullableStringFilter", str, (*TEXT, "is_null"), "Conditions on an optional text field."
)
IntFilter = operator_filter("IntFilter", int, RANGE, "Conditions on a whole number.")
NullableIntFilter = operator_filter(
    "NullableIntFilter", int, (*RANGE, "is_null"), "Conditions on an optional whole number."
)
FloatFilter = operator_filter("FloatFilter", float, RANGE, "Conditions on a number.")
NullableFloatFilter = operator_filter(
    "NullableFloatFilter", float, (*RANGE, "is_null"), "Conditions on an optional number."
)
DecimalFilter = operator_filter("DecimalFilter", Decimal, RANGE, "Conditions on an amount of money.")
DateFilter = operator_filter("DateFilter", date, RANGE, "Conditions on a calendar date.")
DateTimeFilter = operator_filter("DateTimeFilter", datetime, RANGE, "Conditions on a point in time.")
NullableDateTimeFilter = operator_filter(
    "NullableDateTimeFilter", datetime, (*RANGE, "is_null"), "Conditions on an optional point in time."
)
BooleanFilter = operator_filter("BooleanFilter", bool, ("eq",), "Conditions on a yes/no field.")
IDFilter = operator_filter("IDFilter", relay.GlobalID, ("eq", "in_", "not_in"), "Conditions on a global ID.")


def enum_filter(enum_class: type[enum.Enum]) -> Any:
    return operator_filter(
        f"{enum_class.__name__}Filter", enum_class, EQUALITY, f"Conditions on a {enum_class.__name__} value."
    )


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


def order_input(entity: str, columns: dict[str, str]) -> Any:
    """An `<Entity>Order` input: one sortable field and a direction. `columns` maps GraphQL enum
    values to model columns; ties are always broken by ID so that cursors stay stable."""
    field_enum = strawberry.enum(
        enum.Enum(f"{entity}OrderField", {value: column for value, column in columns.items()}),  # type: ignore[misc]
        description=f"Fields {entity} lists can be sorted by (ties are broken by ID).",
    )
    namespace = {
        "__annotations__": {"field": field_enum, "direction": OrderDirection},
        "field": strawberry.field(description="The field to sort by."),
        "direction": strawberry.field(description="Ascending (default) or descending.", default=OrderDirection.ASC),
    }
    return strawberry.input(type(f"{entity}Order", (), namespace), description=f"One sort key for {entity} lists.")


def sort_keys(order_by: list[Any] | None) -> list[SortKey]:
    return [SortKey(o.field.value, o.direction is OrderDirection.DESC) for o in order_by or []]


class EntityFilter:
    """Base of the entity filter inputs: names the node type whose global IDs its `id` takes."""

    node_type: ClassVar[str]


def filter_spec(value: Any, node_type: str | None = None) -> Any:
    """The plain spec of a filter input: UNSET and null fields dropped, global IDs made row ids."""
    if isinstance(value, list):
        return [filter_spec(item, node_type) for item in value]
    if isinstance(value, relay.GlobalID):
        if value.type_name != node_type or not value.node_id.isdigit():
            raise InvalidArgument("filter", f"expects {node_type} IDs, got one of a {value.type_name}")
        return int(value.node_id)
    if not has_object_definition(value):
        return value
    if isinstance(value, EntityFilter):
        node_type = value.node_type
    spec = {}
    for field in value.__strawberry_definition__.fields:
        item = getattr(value, field.python_name)
        if item is not strawberry.UNSET and item is not None:
            spec[field.python_name] = filter_spec(item, node_type)
    return spec


def condition(description: str) -> Any:
    """An optional filter input field."""
    return strawberry.field(default=strawberry.UNSET, description=description)


ALL_OF = "Items matching all of these filters."
ANY_OF = "Items matching at least one of these filters."
NONE_OF = "Items not matching this filter."
