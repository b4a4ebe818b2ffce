"""Manager reports: sales, service and campaign figures, aggregated by the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import relay

from crm_graphql.context import Info
from crm_graphql.resolvers import reports
from crm_graphql.resolvers.errors import InvalidArgument
from crm_graphql.resolvers.policy import Entity, require
from crm_graphql.schema.enums import MemberStatus, ReportPeriod, SalesDimension, TicketKind, TicketPriority
from crm_graphql.schema.errors import as_graphql_errors

_KEY_TYPES = {SalesDimension.REP: "User", SalesDimension.PRODUCT: "Product", SalesDimension.CAMPAIGN: "Campaign"}
_COUNTED = "Only orders that are CONFIRMED, SHIPPED or COMPLETED count (not DRAFT or CANCELLED)."


@strawberry.type(description=f"Sales of one group in one period and currency. {_COUNTED}")
class SalesReportRow:
    period: date = strawberry.field(
        description="First day of the period (UTC): the day itself, the ISO week's Monday, or the 1st of the month."
    )
    key_id: relay.GlobalID | None = strawberry.field(
        description="Global ID of the rep (User), Product or Campaign; null for a segment and for the `none` group."
    )
    label: str = strawberry.field(
        description="Rep name, product name, segment (e.g. `SMALL_BUSINESS`) or campaign name; `none` for orders "
        "without a rep or campaign, or whose rep, product or campaign was deleted."
    )
    currency: str = strawberry.field(
        description="ISO 4217 currency of the amounts: orders in different currencies are never added up."
    )
    order_count: int = strawberry.field(
        description="Number of orders; for PRODUCT, the number of orders with at least one line of the product."
    )
    revenue: Decimal = strawberry.field(
        description="Sum of the order totals; for PRODUCT, of the product's line totals. Two decimal places."
    )
    average_order_value: Decimal = strawberry.field(
        description="`revenue / orderCount`, rounded half up to two decimal places."
    )


@strawberry.type(description="The number of open tickets of one kind.")
class TicketKindCount:
    kind: TicketKind = strawberry.field(description="The kind of ticket.")
    count: int = strawberry.field(description="Open (NEW, OPEN or PENDING) tickets of this kind.")


@strawberry.type(description="The number of open tickets of one priority.")
class TicketPriorityCount:
    priority: TicketPriority = strawberry.field(description="The priority.")
    count: int = strawberry.field(description="Open (NEW, OPEN or PENDING) tickets of this priority.")


@strawberry.type(description="Service figures over the tickets opened in a window (deleted tickets left out).")
class TicketStatistics:
    ticket_count: int = strawberry.field(description="Tickets opened in the window.")
    open_by_kind: list[TicketKindCount] = strawberry.field(
        description="Of those, the ones still NEW, OPEN or PENDING, per kind (every kind, zeros included)."
    )
    open_by_priority: list[TicketPriorityCount] = strawberry.field(
        description="Of those, the ones still NEW, OPEN or PENDING, per priority (every priority, zeros included)."
    )
    median_first_response_hours: float | None = strawberry.field(
        description="Median hours from opening to the first response, over answered tickets; null if none."
    )
    median_resolution_hours: float | None = strawberry.field(
        description="Median hours from opening to resolution, over resolved tickets; null if none."
    )
    sla_breaches: int = strawberry.field(
        description="Tickets with a due time that were resolved after it, or are unresolved and already past it."
    )
    average_satisfaction: float | None = strawberry.field(
        description="Mean satisfaction score (1 to 5) over the rated tickets; null if none is rated."
    )


@strawberry.type(description="The number of campaign members at one status.")
class MemberStatusCount:
    status: MemberStatus = strawberry.field(description="How far the members got.")
    count: int = strawberry.field(description="Members at this status.")


@strawberry.type(description=f"How a campaign performed. Deleted members and orders are left out. {_COUNTED}")
class CampaignStatistics:
    members: int = strawberry.field(description="Customers targeted by the campaign.")
    members_by_status: list[MemberStatusCount] = strawberry.field(
        description="Members per status (every status, zeros included)."
    )
    response_rate: float = strawberry.field(
        description="Share of members (0 to 1) who RESPONDED or CONVERTED; 0 without members."
    )
    conversion_rate: float = strawberry.field(description="Share of members (0 to 1) who CONVERTED; 0 without members.")
    attributed_orders: int = strawberry.field(description="Orders attributed to the campaign.")
    attributed_revenue: Decimal = strawberry.field(
        description="Sum of those orders' totals, two decimal places (assumed in the budget's currency)."
    )
    roi: float | None = strawberry.field(
        description="Return on investment: (attributedRevenue - budget) / budget; null when the budget is 0."
    )


From = Annotated[date, strawberry.argument(name="from", description="First day included (UTC).")]
To = Annotated[date, strawberry.argument(description="Last day included (UTC); not before `from`.")]
OptionalFrom = Annotated[
    date | None, strawberry.argument(name="from", description="First day included (UTC); null for no lower bound.")
]
OptionalTo = Annotated[
    date | None, strawberry.argument(description="Last day included (UTC); null for no upper bound.")
]
GroupBy = Annotated[
    ReportPeriod,
    strawberry.argument(
        description="Row period. The window may span at most 366 days for DAY, 1,096 (3 years) for WEEK "
        "and 3,653 (10 years) for MONTH."
    ),
]
By = Annotated[SalesDimension, strawberry.argument(description="What each row is a total for.")]
CampaignID = Annotated[relay.GlobalID, strawberry.argument(description="The campaign's global ID.")]


def _campaign_pk(id: relay.GlobalID) -> int:
    if id.type_name != "Campaign" or not id.node_id.isdigit():
        raise InvalidArgument("id", "is not the ID of a Campaign")
    return int(id.node_id)


@strawberry.type(description="Aggregated figures for managers, computed by the database.")
class ReportsQuery:
    @strawberry.field(
        description="Orders placed in a window of whole UTC days, per period and per rep, product, segment or "
        f"campaign (and currency), ordered by period, then label. {_COUNTED} At most 10,000 rows."
    )
    async def sales_report(self, info: Info, from_: From, to: To, group_by: GroupBy, by: By) -> list[SalesReportRow]:
        with as_graphql_errors():
            require(info.context.viewer, Entity.REPORTS)
            rows = await reports.sales_report(from_, to, group_by, by)
        key_type = _KEY_TYPES.get(by)
        return [
            SalesReportRow(
                period=row.period,
                key_id=relay.GlobalID(key_type, str(row.key_id)) if key_type and row.key_id is not None else None,
                label=row.label,
                currency=row.currency,
                order_count=row.order_count,
                revenue=row.revenue,
                average_order_value=row.average_order_value,
            )
            for row in rows
        ]

    @strawberry.field(description="Service figures over the tickets opened in a window of whole UTC days.")
    async def ticket_statistics(
        self, info: Info, from_: OptionalFrom = None, to: OptionalTo = None
    ) -> TicketStatistics:
        with as_graphql_errors():
            require(info.context.viewer, Entity.REPORTS)
            stats = await reports.ticket_statistics(from_, to)
        return TicketStatistics(
            ticket_count=stats.ticket_count,
            open_by_kind=[TicketKindCount(kind=k, count=n) for k, n in stats.open_by_kind.items()],
            open_by_priority=[TicketPriorityCount(priority=p, count=n) for p, n in stats.open_by_priority.items()],
            median_first_response_hours=stats.median_first_response_hours,
            median_resolution_hours=stats.median_resolution_hours,
            sla_breaches=stats.sla_breaches,
            average_satisfaction=stats.average_satisfaction,
        )

    @strawberry.field(description="How a campaign performed, or null if there is no such campaign (or it was deleted).")
    async def campaign_statistics(self, info: Info, id: CampaignID) -> CampaignStatistics | None:
        with as_graphql_errors():
            require(info.context.viewer, Entity.REPORTS)
            stats = await reports.campaign_statistics(_campaign_pk(id))
        if stats is None:
            return None
        return CampaignStatistics(
            members=stats.members,
            members_by_status=[MemberStatusCount(status=s, count=n) for s, n in stats.members_by_status.items()],
            response_rate=stats.response_rate,
            conversion_rate=stats.conversion_rate,
            attributed_orders=stats.attributed_orders,
            attributed_revenue=stats.attributed_revenue,
            roi=stats.roi,
        )
