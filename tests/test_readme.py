"""The README's example queries run against the demo data and find something."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from crm_graphql.demo import seed_demo
from crm_graphql.resolvers.values import refresh_values
from tests.conftest import GraphQLClient

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_queries() -> list[str]:
    section = README.read_text().split("## Querying", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)


def connections(value: Any) -> list[dict[str, Any]]:
    """Every connection in a result, outermost first."""
    found = []
    if isinstance(value, dict):
        if "edges" in value:
            found.append(value)
        for item in value.values():
            found.extend(connections(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(connections(item))
    return found


def test_readme_has_three_examples() -> None:
    assert len(readme_queries()) == 3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one backend is enough here
@pytest.mark.parametrize("index", range(3))
async def test_readme_example_finds_demo_data(gql: GraphQLClient, index: int) -> None:
    await seed_demo()
    data = await gql.data(readme_queries()[index])
    top = connections(data)[0]
    assert top["edges"], data
    assert all(len(c["edges"]) > 0 for c in connections(top["edges"][0]["node"])), data


def analytics_queries() -> list[str]:
    section = README.read_text().split("## Analytics", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_readme_analytics_examples_answer_from_scored_demo_data(gql: GraphQLClient) -> None:
    await seed_demo()
    await refresh_values()
    customers_query, forecast_query = analytics_queries()
    top = (await gql.data(customers_query))["customers"]["edges"]
    assert len(top) == 5 and all(edge["node"]["value"]["clv"] > 0 for edge in top)
    forecast = (await gql.data(forecast_query))["demandForecast"]
    assert len(forecast["points"]) == 12 and sum(point["point"] for point in forecast["points"]) > 0
