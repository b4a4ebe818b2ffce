"""Credentials: API keys for partner systems and service accounts, signed tokens for people.

An API key reads `crm_<prefix>_<secret>`; only its SHA-256 is stored, and the prefix finds it.
A token is a JWT (HS256, signed with CRM_SECRET_KEY) naming a user; the user is re-read on every
request, so deactivating them takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import jwt

from crm_graphql.models import ApiKey, User
from crm_graphql.resolvers.errors import DomainError
from crm_graphql.resolvers.policy import ALL_SCOPES, Viewer

KEY_PREFIX = "crm_"
TOKEN_ISSUER = "crm-graphql"
LAST_USED_PRECISION = timedelta(minutes=1)  # avoids a write on every request


class AuthenticationFailed(DomainError):
    """Credentials were sent but are not valid: the request is refused with HTTP 401."""

    code = "UNAUTHENTICATED"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    user: User, name: str, scopes: Iterable[str], *, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for `user` and its plaintext, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise DomainError(f"Unknown scopes {unknown}; known: {sorted(ALL_SCOPES)}.", "scopes")
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = await ApiKey.create(
        name=name, prefix=prefix, secret_hash=_digest(plaintext), scopes=scopes, user=user, expires_at=expires_at
    )
    return key, plaintext


def issue_token(user: User, secret_key: str, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user.pk), "iss": TOKEN_ISSUER, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret_key, algorithm="HS256")


async def authenticate(authorization: str | None, secret_key: str | None) -> Viewer | None:
    """The viewer named by an `Authorization: Bearer …` header; None when there is none."""
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise AuthenticationFailed("Use 'Authorization: Bearer <API key or token>'.")
    if credential.startswith(KEY_PREFIX):
        return await _from_api_key(credential)
    return await _from_token(credential, secret_key)


async def _from_api_key(plaintext: str) -> Viewer:
    prefix = plaintext.removeprefix(KEY_PREFIX).split("_", 1)[0]
    key = await ApiKey.filter(prefix=prefix, deleted_at__isnull=True).select_related("user").first()
    now = datetime.now(UTC)
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(plaintext)):
        raise AuthenticationFailed("Unknown API key.")
    if key.revoked_at is not None:
        raise AuthenticationFailed("This API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise AuthenticationFailed("This API key has expired.")
    if not key.user.active or key.user.deleted_at is not None:
        raise AuthenticationFailed("The owner of this API key is deactivated.")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        await ApiKey.filter(pk=key.pk).update(last_used_at=now)
    return Viewer(user_id=key.user.pk, role=key.user.role, scopes=frozenset(key.scopes), key_prefix=key.prefix)


async def _from_token(token: str, secret_key: str | None) -> Viewer:
    if not secret_key:
        raise AuthenticationFailed("Tokens are not enabled on this server (CRM_SECRET_KEY is not set).")
    try:
        claims = jwt.decode(token, secret_key, algorithms=["HS256"], issuer=TOKEN_ISSUER, options={"require": ["exp"]})
        user_id = int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("The token has expired.") from None
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise AuthenticationFailed("The token is not valid.") from None
    user = await User.filter(pk=user_id, active=True, deleted_at__isnull=True).first()
    if user is None:
        raise AuthenticationFailed("The token's user is unknown or deactivated.")
    return Viewer(user_id=user.pk, role=user.role)
