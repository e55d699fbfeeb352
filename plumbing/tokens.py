"""The one bearer-token check of every account kind (riders, devices, companies, ...).

A token is `<account id>.<secret>`; the database (or the gates' Redis registry) keeps
only its SHA-256, and a check compares digests in constant time. Each domain turns a
missing or wrong token into its own 401 error.

Rider and company tokens expire (`token_refusal` with the stored expiry): a token that
leaks is not good forever. Revoking one stores `REVOKED`, a digest no token has, so the
account can sign in again only with a newly issued token.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

__all__ = [
    "COMPANY_TOKEN_LIFETIME",
    "REVOKED",
    "RIDER_TOKEN_LIFETIME",
    "BearerDep",
    "hash_token",
    "make_token",
    "token_id",
    "token_matches",
    "token_refusal",
]

# Defaults; the settings' `tokens` group overrides them where tokens are issued.
RIDER_TOKEN_LIFETIME = timedelta(days=30)
COMPANY_TOKEN_LIFETIME = timedelta(days=365)
REVOKED = b""  # a SHA-256 is 32 bytes: no token hashes to this


def make_token(account_id: str, secret: str) -> str:
    return f"{account_id}.{secret}"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_id(token: str) -> str:
    """The account a token names: the part before the first '.'."""
    return token.split(".", 1)[0]


def token_matches(token: str, stored_sha256: bytes | None) -> bool:
    return stored_sha256 is not None and hmac.compare_digest(hash_token(token), stored_sha256)


def token_refusal(
    token: str, stored_sha256: bytes | None, expires_at: datetime | None, now: datetime
) -> str | None:
    """Why the token does not sign in (unknown, revoked, expired), or None when it does.

    An account with no expiry on record (none was set when its token was issued) has no
    valid token: better a new token than one that never ends.
    """
    if stored_sha256 == REVOKED:
        return "the token was revoked; ask for a new one"
    if not token_matches(token, stored_sha256):
        return "unknown token"
    if expires_at is None or expires_at <= now:
        when = "" if expires_at is None else f" at {expires_at.isoformat()}"
        return f"the token expired{when}; ask for a new one"
    return None


def _presented(
    credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))
    ],
) -> str | None:
    return None if credentials is None else credentials.credentials


BearerDep = Annotated[str | None, Depends(_presented)]
"""The bearer token the request carries, or None."""
