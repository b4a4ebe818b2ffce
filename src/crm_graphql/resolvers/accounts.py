"""Managing users and their API keys (used by the CLI now, by admin mutations later)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from crm_graphql.models import ApiKey, Role, User
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.errors import Duplicate, NotFound
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.resolvers.validation import normalize_email

DEMO_KEY_NAME = "demo"


async def create_user(name: str, email: str, role: Role) -> User:
    email = normalize_email(email, field="email")
    if await User.filter(email__iexact=email).exists():
        raise Duplicate(f"A user with e-mail {email} already exists.", "email")
    return await User.create(name=name.strip(), email=email, role=role)


async def active_user(email: str) -> User:
    user = await User.filter(email__iexact=email.strip(), active=True, deleted_at__isnull=True).first()
    if user is None:
        raise NotFound(f"No active user with e-mail {email}.", "email")
    return user


async def create_key_for(
    email: str, name: str, scopes: Iterable[str] | None = None, *, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A key for the user with `email`; by default with the scopes of the user's role."""
    user = await active_user(email)
    return await create_api_key(user, name, role_scopes(user.role) if scopes is None else scopes, expires_at=expires_at)


async def revoke_key(prefix: str) -> ApiKey:
    key = await ApiKey.filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None:
        raise NotFound(f"No active API key with prefix {prefix}.", "prefix")
    key.revoked_at = datetime.now(UTC)
    await key.save(update_fields=["revoked_at"])
    return key


async def fresh_demo_key() -> tuple[User, str]:
    """A new admin key for trying the API, revoking the demo keys handed out before."""
    admin = await User.filter(role=Role.ADMIN, active=True, deleted_at__isnull=True).order_by("id").first()
    if admin is None:
        raise NotFound("No active admin user to issue a demo key for; run `crm-graphql seed` first.")
    await ApiKey.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True).update(revoked_at=datetime.now(UTC))
    _, plaintext = await create_api_key(admin, DEMO_KEY_NAME, role_scopes(admin.role))
    return admin, plaintext
