"""The report fields over HTTP (needs `ReportsQuery` wired into the root `Query`)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from tests.conftest import GraphQLClient
from tests.test_reports import build

SALES = """
query ($from: Date!, $to: Date!, $groupBy: ReportPeriod!, $by: SalesDimension!) {
  salesReport(from: $from, to: $to, groupBy: $groupBy, by: $by) {
    period keyId label currency orderCount revenue averageOrderValue
  }
}
"""
TICKETS = """
query ($from: Date, $to: Date) {
  ticketStatistics(from: $from, to: $to) {
    ticketCount openByKind { kind count } openByPriority { priority count }
    medianFirstResponseHours medianResolutionHours slaBreaches averageSatisfaction
  }
}
"""
CAMPAIGN = """
query ($id: ID!) {
  campaignStatistics(id: $id) {
    members membersByStatus { status count } responseRate conversionRate attributedOrders attributedRevenue roi
  }
}
"""
WINDOW = {"from": "2026-01-05", "to": "2026-02-28"}


def gid(type_name: str, row: Any) -> str:
    return str(relay.GlobalID(type_name, str(row.pk)))


async def test_sales_report(gql: GraphQLClient) -> None:
    data = await build()
    rows = (await gql.data(SALES, {**WINDOW, "groupBy": "MONTH", "by": "REP"}))["salesReport"]
    assert rows == [
        {"period": "2026-01-01", "keyId": gid("User", data["ana"]), "label": "Ana Rep", "currency": "EUR",
         "orderCount": 2, "revenue": "65.50", "averageOrderValue": "32.75"},
        {"period": "2026-01-01", "keyId": gid("User", data["ben"]), "label": "Ben Rep", "currency": "EUR",
         "orderCount": 2, "revenue": "112.01", "averageOrderValue": "56.01"},
        {"period": "2026-02-01", "keyId": None, "label": "none", "currency": "EUR",
         "orderCount": 1, "revenue": "81.00", "averageOrderValue": "81.00"},
    ]  # fmt: skip
    node = await gql.data("query ($id: ID!) { node(id: $id) { ... on User { name } } }", {"id": rows[0]["keyId"]})
    assert node == {"node": {"name": "Ana Rep"}}

    weeks = (await gql.data(SALES, {**WINDOW, "groupBy": "WEEK", "by": "CAMPAIGN"}))["salesReport"]
    assert [(r["period"], r["label"], r["keyId"]) for r in weeks][:2] == [
        ("2026-01-05", "Spring", gid("Campaign", data["spring"])),
        ("2026-01-05", "none", None),
    ]
    segments = (await gql.data(SALES, {**WINDOW, "groupBy": "MONTH", "by": "SEGMENT"}))["salesReport"]
    assert [r["label"] for r in segments] == ["CONSUMER", "ENTERPRISE", "SMALL_BUSINESS", "SMALL_BUSINESS"]
    products = (await gql.data(SALES, {**WINDOW, "groupBy": "DAY", "by": "PRODUCT"}))["salesReport"]
    assert products[0]["keyId"] == gid("Product", data["gadget"])


async def test_ticket_statistics(gql: GraphQLClient) -> None:
    await build()
    stats = (await gql.data(TICKETS, {"from": "2026-01-05", "to": "2026-01-31"}))["ticketStatistics"]
    assert stats["ticketCount"] == 6
    assert stats["openByKind"] == [
        {"kind": "CONSULTATION", "count": 1},
        {"kind": "FEEDBACK", "count": 0},
        {"kind": "COMPLAINT", "count": 2},
    ]
    assert [p["count"] for p in stats["openByPriority"]] == [0, 1, 1, 1]
    assert stats["medianFirstResponseHours"] == pytest.approx(1.5)
    assert stats["medianResolutionHours"] == pytest.approx(10)
    assert stats["slaBreaches"] >= 1  # the late resolution; the overdue ones depend on today's date
    assert stats["averageSatisfaction"] == pytest.approx(11 / 3)
    assert (await gql.data(TICKETS))["ticketStatistics"]["ticketCount"] == 7


async def test_campaign_statistics(gql: GraphQLClient) -> None:
    data = await build()
    stats = (await gql.data(CAMPAIGN, {"id": gid("Campaign", data["spring"])}))["campaignStatistics"]
    assert stats == {
        "members": 5,
        "membersByStatus": [
            {"status": "TARGETED", "count": 2},
            {"status": "CONTACTED", "count": 1},
            {"status": "RESPONDED", "count": 1},
            {"status": "CONVERTED", "count": 1},
        ],
        "responseRate": pytest.approx(0.4),
        "conversionRate": pytest.approx(0.2),
        "attributedOrders": 2,
        "attributedRevenue": "126.50",
        "roi": pytest.approx(0.265),
    }
    free = (await gql.data(CAMPAIGN, {"id": gid("Campaign", data["free"])}))["campaignStatistics"]
    assert (free["roi"], free["attributedRevenue"], free["responseRate"]) == (None, "0.00", 0.0)
    for missing in (gid("Campaign", data["gone"]), str(relay.GlobalID("Campaign", "999999"))):
        assert (await gql.data(CAMPAIGN, {"id": missing}))["campaignStatistics"] is None


@pytest.mark.parametrize(
    ("query", "variables", "message", "field"),
    [
        (SALES, {"from": "2026-02-01", "to": "2026-01-01", "groupBy": "DAY", "by": "REP"},
         "Argument 'to' must not be before 'from'.", "to"),
        (SALES, {"from": "2023-01-01", "to": "2026-01-01", "groupBy": "DAY", "by": "REP"},
         "Argument 'to' must be at most 366 days after 'from' for DAY.", "to"),
        (TICKETS, {"from": "2026-02-01", "to": "2026-01-01"}, "Argument 'to' must not be before 'from'.", "to"),
        (CAMPAIGN, {"id": str(relay.GlobalID("User", "1"))}, "Argument 'id' is not the ID of a Campaign.", "id"),
        (CAMPAIGN, {"id": str(relay.GlobalID("Campaign", "x"))}, "Argument 'id' is not the ID of a Campaign.", "id"),
    ],
)  # fmt: skip
async def test_bad_arguments_are_clear_errors(
    gql: GraphQLClient, query: str, variables: dict[str, Any], message: str, field: str
) -> None:
    body = await gql(query, variables)
    assert not any((body["data"] or {}).values())
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": field}


async def test_malformed_id_is_a_request_error(gql: GraphQLClient) -> None:
    body = await gql(CAMPAIGN, {"id": "not a global id"})
    assert body["errors"][0]["message"] != "Unexpected error."
