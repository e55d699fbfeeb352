"""A rider's token: issue a new one (which ends the old), or revoke it.

Only the token's SHA-256 and its expiry are stored (plumbing.tokens); the token itself
exists in clear only in the answer that issues it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from plumbing.tokens import REVOKED, RIDER_TOKEN_LIFETIME, hash_token, make_token
from trips.errors import RiderNotFound
from trips.models import Rider

__all__ = ["issue_rider_token", "new_rider_token", "revoke_rider_token"]


def new_rider_token(rider: Rider, now: datetime, lifetime: timedelta = RIDER_TOKEN_LIFETIME) -> str:
    """Give `rider` a new token valid for `lifetime` (no commit); the old one stops."""
    token = make_token(rider.id, secrets.token_urlsafe(18))
    rider.token_sha256 = hash_token(token)
    rider.token_expires_at = now + lifetime
    return token


def issue_rider_token(
    session: Session, rider_id: str, now: datetime, lifetime: timedelta = RIDER_TOKEN_LIFETIME
) -> str:
    """A new token for the rider; commits."""
    rider = _rider(session, rider_id)
    token = new_rider_token(rider, now, lifetime)
    session.add(rider)
    session.commit()
    return token


def revoke_rider_token(session: Session, rider_id: str, now: datetime) -> None:
    """The rider's token stops signing in at once; commits."""
    rider = _rider(session, rider_id)
    rider.token_sha256, rider.token_expires_at = REVOKED, now
    session.add(rider)
    session.commit()


def _rider(session: Session, rider_id: str) -> Rider:
    rider = session.get(Rider, rider_id)
    if rider is None:
        raise RiderNotFound(f"no rider {rider_id!r}")
    return rider
