"""Who may read and change what: the one place where access rules live.

People act through their role; API keys act through their scopes (`customers:read`,
`orders:write`, `pii:read`, …) and see rows as their owner would. Denying a whole entity is an
error on the field that asked; row rules (a sales rep sees their own customers) filter lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from crm_graphql import models
from crm_graphql.models import Role
from crm_graphql.resolvers.errors import DomainError


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Entity(StrEnum):
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    ORDERS = "orders"
    VISITS = "visits"
    TICKETS = "tickets"
    CAMPAIGNS = "campaigns"
    USERS = "users"
    REPORTS = "reports"


PII_SCOPE = "pii:read"
ALL_SCOPES = frozenset({f"{e}:{a}" for e in Entity for a in Action if (e, a) != (Entity.REPORTS, Action.WRITE)}) | {
    PII_SCOPE
}

ENTITY_OF: dict[type[Model], Entity] = {
    models.Customer: Entity.CUSTOMERS,
    models.Product: Entity.PRODUCTS,
    models.Order: Entity.ORDERS,
    models.OrderLine: Entity.ORDERS,
    models.Visit: Entity.VISITS,
    models.Ticket: Entity.TICKETS,
    models.Campaign: Entity.CAMPAIGNS,
    models.CampaignMember: Entity.CAMPAIGNS,
    models.User: Entity.USERS,
}

R, RW = frozenset({Action.READ}), frozenset({Action.READ, Action.WRITE})
ROLE_GRANTS: dict[Role, dict[Entity, frozenset[Action]]] = {
    Role.ADMIN: {entity: R if entity is Entity.REPORTS else RW for entity in Entity},
    # Reps work their own accounts; they also read those customers' tickets before a visit.
    Role.SALES_REP: {
        Entity.CUSTOMERS: RW,
        Entity.ORDERS: RW,
        Entity.VISITS: RW,
        Entity.TICKETS: R,
        Entity.PRODUCTS: R,
        Entity.USERS: R,
    },
    # Agents read orders too: most complaints are about one.
    Role.SUPPORT_AGENT: {
        Entity.TICKETS: RW,
        Entity.CUSTOMERS: R,
        Entity.ORDERS: R,
        Entity.PRODUCTS: R,
        Entity.USERS: R,
    },
    Role.MARKETER: {
        Entity.CAMPAIGNS: RW,
        Entity.CUSTOMERS: R,
        Entity.PRODUCTS: R,
        Entity.REPORTS: R,
        Entity.USERS: R,
    },
    Role.PARTNER: {},  # partners act only through API keys and their scopes
}


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(self) -> None:
        super().__init__("Authentication required: send 'Authorization: Bearer <API key or token>'.")


class Forbidden(DomainError):
    code = "FORBIDDEN"


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller: a person (role grants) or an API key (scopes)."""

    user_id: int
    role: Role
    scopes: frozenset[str] | None = None  # None for a person
    key_prefix: str | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"key:{self.key_prefix}" if self.key_prefix else f"user:{self.user_id}"

    def can(self, entity: Entity, action: Action) -> bool:
        if self.scopes is not None:
            return f"{entity}:{action}" in self.scopes
        return action in ROLE_GRANTS[self.role].get(entity, frozenset())

    @property
    def can_read_pii(self) -> bool:
        if self.scopes is not None:
            return PII_SCOPE in self.scopes
        return self.role is not Role.PARTNER


def require(viewer: Viewer | None, entity: Entity, action: Action = Action.READ) -> Viewer:
    """The viewer, if it may `action` on `entity`; else Unauthenticated or Forbidden."""
    if viewer is None:
        raise Unauthenticated()
    if not viewer.can(entity, action):
        raise Forbidden(f"Not allowed to {action} {entity}.")
    return viewer


# Personal data: hidden from API keys without the pii:read scope, in every response and filter.
PII_FIELDS: dict[type[Model], frozenset[str]] = {
    models.Customer: frozenset({"email", "phone", "address", "search"}),
    models.User: frozenset({"email"}),
}


def require_pii(viewer: Viewer | None, field: str) -> None:
    if viewer is None:
        raise Unauthenticated()
    if not viewer.can_read_pii:
        raise Forbidden(f"Not allowed to read personal data ({field}): the 'pii:read' scope is required.", field)


def _own_customers(user_id: int) -> Subquery:
    return Subquery(models.Customer.filter(owner_id=user_id, deleted_at__isnull=True).values("id"))


def row_scope(viewer: Viewer, model: type[Model]) -> Q:
    """The rows of `model` this viewer may see among those its grants allow (an empty Q: all)."""
    if viewer.role is not Role.SALES_REP:
        return Q()
    if model is models.Customer:
        return Q(owner_id=viewer.user_id)
    if model in (models.Order, models.Visit, models.Ticket, models.CampaignMember):
        return Q(customer_id__in=_own_customers(viewer.user_id))
    if model is models.OrderLine:
        own_orders = models.Order.filter(customer_id__in=_own_customers(viewer.user_id)).values("id")
        return Q(order_id__in=Subquery(own_orders))
    return Q()


def scoped(viewer: Viewer, model: type[Model]) -> Any:
    """The live rows of `model` within the viewer's row scope (entity access checked by the caller)."""
    return model.filter(deleted_at__isnull=True).filter(row_scope(viewer, model))


def visible(viewer: Viewer | None, model: type[Model]) -> Any:
    """The live rows of `model` the viewer may read (raises if it may read none)."""
    return scoped(require(viewer, ENTITY_OF[model]), model)


def role_scopes(role: Role) -> list[str]:
    """The scopes that give an API key what its owner's role may do."""
    grants = ROLE_GRANTS[role]
    scopes = [f"{entity}:{action}" for entity, actions in grants.items() for action in sorted(actions)]
    return sorted(scopes + ([PII_SCOPE] if role is not Role.PARTNER else []))
