"""The one bearer-token check of every account kind (riders, devices, companies, ...).

A token is `<account id>.<secret>`; the database (or the gates' Redis registry) keeps
only its SHA-256, and a check compares digests in constant time. Each domain turns a
missing or wrong token into its own 401 error.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

__all__ = ["BearerDep", "hash_token", "make_token", "token_id", "token_matches"]


def make_token(account_id: str, secret: str) -> str:
    return f"{account_id}.{secret}"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_id(token: str) -> str:
    """The account a token names: the part before the first '.'."""
    return token.split(".", 1)[0]


def token_matches(token: str, stored_sha256: bytes | None) -> bool:
    return stored_sha256 is not None and hmac.compare_digest(hash_token(token), stored_sha256)


def _presented(
    credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))
    ],
) -> str | None:
    return None if credentials is None else credentials.credentials


BearerDep = Annotated[str | None, Depends(_presented)]
"""The bearer token the request carries, or None."""
