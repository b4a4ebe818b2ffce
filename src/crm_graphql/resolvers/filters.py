"""Filters: nested plain-dict specs (built from GraphQL inputs) compiled to one Tortoise `Q`.

A spec maps field names to operator dicts (`{"name": {"contains": "ann"}}`), relation names to
the related row's spec (to-one) or to `{"some": spec}` / `{"none": spec}` (to-many), plus the
combinators `and_`, `or_`, `not_` and, where a model supports it, free-text `search`. Relations
become `IN (subquery)` conditions, so a filter never multiplies rows and stays one statement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from crm_graphql.models import Customer
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.policy import PII_FIELDS, Viewer, require_pii, visible

LOOKUPS = {
    "eq": "",
    "ne": "not",
    "in_": "in",
    "not_in": "not_in",
    "lt": "lt",
    "lte": "lte",
    "gt": "gt",
    "gte": "gte",
    "contains": "icontains",
    "starts_with": "istartswith",
    "is_null": "isnull",
}
MAX_LIST_LENGTH = 500
MAX_CONDITIONS = 100

# Columns searched by `search`; on PostgreSQL each has a trigram index (migration 0003).
SEARCH_COLUMNS: dict[type[Model], tuple[str, ...]] = {Customer: ("name", "email", "phone")}


def spec_key(spec: Mapping[str, Any] | None) -> str:
    """A stable text form of a spec, to tell apart loaders for different filters."""
    return json.dumps(spec or {}, sort_keys=True, default=str)


def compile_filter(viewer: Viewer, model: type[Model], spec: Mapping[str, Any] | None) -> Q:
    """The condition `spec` puts on rows of `model` (an empty Q for no spec).

    Related rows are those the viewer may see, and conditions on personal data need `pii:read`:
    a filter never reveals what the viewer could not read.
    """
    counter = [0]
    return _compile(viewer, model, spec or {}, counter)


def _compile(viewer: Viewer, model: type[Model], spec: Mapping[str, Any], counter: list[int]) -> Q:
    parts: list[Q] = []
    meta = model._meta
    for key, value in spec.items():
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            raise InvalidArgument("filter", f"has more than {MAX_CONDITIONS} conditions")
        if key in PII_FIELDS.get(model, ()):
            require_pii(viewer, f"filter.{key}")
        if key == "and_":
            parts.extend(_compile(viewer, model, item, counter) for item in value)
        elif key == "or_":
            parts.append(Q(*(_compile(viewer, model, item, counter) for item in value), join_type=Q.OR))
        elif key == "not_":
            parts.append(~_compile(viewer, model, value, counter))
        elif key == "search":
            parts.append(_search(model, value))
        elif key in meta.fk_fields:
            target = meta.fields_map[key].related_model
            rows = Subquery(visible(viewer, target).filter(_compile(viewer, target, value, counter)).values("id"))
            parts.append(Q(**{f"{key}_id__in": rows}))
        elif key in meta.backward_fk_fields:
            relation = meta.fields_map[key]
            target, column = relation.related_model, relation.relation_source_field
            for quantifier, condition in value.items():
                matching = visible(viewer, target).filter(_compile(viewer, target, condition, counter))
                rows = Subquery(matching.values(column))
                parts.append(Q(id__in=rows) if quantifier == "some" else ~Q(id__in=rows))
        else:
            parts.extend(_field_conditions(key, value))
    return Q(*parts)


def _field_conditions(field: str, operators: Mapping[str, Any]) -> list[Q]:
    conditions = []
    for operator, operand in operators.items():
        if isinstance(operand, list | tuple) and len(operand) > MAX_LIST_LENGTH:
            raise InvalidArgument("filter", f"lists at most {MAX_LIST_LENGTH} values per operator")
        lookup = LOOKUPS[operator]
        conditions.append(Q(**{f"{field}__{lookup}" if lookup else field: operand}))
    return conditions


def _search(model: type[Model], text: str) -> Q:
    words = text.split()
    if not words:
        raise InvalidArgument("search", "needs at least one word")
    columns = SEARCH_COLUMNS[model]
    # Every word must appear in one of the columns: "ann gmbh" finds "Ann Weber GmbH".
    return Q(*(Q(*(Q(**{f"{c}__icontains": w}) for c in columns), join_type=Q.OR) for w in words))
